/**
 * What the current request read, for frameworks whose store calls do not connect a
 * save to its read: koa-session-store hands `save` only an id and a JSON string, and
 * koa-generic-session hands `set` whatever object the app assigned. The request's own
 * async context carries the snapshot from the read to the write, so a write prepared
 * before a revocation stays relative to what it read (and is dropped), however late.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { SessionSnapshot } from './store';

interface ReadRecord {
  readonly id: string;
  snapshot: SessionSnapshot | undefined;
}

export class RequestReads {
  readonly #storage = new AsyncLocalStorage<ReadRecord>();

  /**
   * Starts the record of a read of `id`. Call it synchronously, before the read's first
   * `await`: the record then belongs to the calling request's context, not to the read's own.
   */
  begin(id: string): { snapshot: SessionSnapshot | undefined } {
    const record: ReadRecord = { id, snapshot: undefined };
    this.#storage.enterWith(record);
    return record;
  }

  /** The snapshot this request's read of `id` gave, if this request read it. */
  snapshotFor(id: string): SessionSnapshot | undefined {
    const record = this.#storage.getStore();
    return record !== undefined && record.id === id ? record.snapshot : undefined;
  }
}
