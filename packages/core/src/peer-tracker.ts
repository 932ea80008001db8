/**
 * Which other stores' documents a collection may hold (see peers.ts), looked at once at
 * start-up: the shape new sessions are written in until `adoptPeerDocuments`, whether a miss
 * by `_id` is looked up by koa-generic-session-mongo's `sid`, and what the sweep removes.
 */
import type { Collection, Document } from 'mongodb';
import type { SessionDocument } from './document';
import type { ResolvedOptions } from './options';
import { expiredPeerFilter, PEER_SHAPES, peerShapeOf, type PeerShape } from './peers';

export class PeerTracker {
  /** The peer shape new sessions are written in, until `adoptPeerDocuments`. */
  newShape: PeerShape | undefined;
  /** The peer shapes the collection may hold. */
  readonly #shapes = new Set<PeerShape>();
  readonly #options: Pick<ResolvedOptions, 'peerFormat' | 'adoptPeerDocuments' | 'ttlMs'>;
  /** Settles once the collection was looked at (new sessions and `sid` lookups wait for it). */
  known: Promise<unknown> = Promise.resolve();

  constructor(options: Pick<ResolvedOptions, 'peerFormat' | 'adoptPeerDocuments' | 'ttlMs'>) {
    this.#options = options;
    const { peerFormat, adoptPeerDocuments } = options;
    this.newShape = peerFormat && !adoptPeerDocuments ? PEER_SHAPES[peerFormat] : undefined;
    if (peerFormat) this.#shapes.add(PEER_SHAPES[peerFormat]);
  }

  /** Whether koa-generic-session-mongo's documents (under an ObjectId, found by `sid`) may be here. */
  get findsBySid(): boolean {
    return this.#shapes.has('sid');
  }

  /**
   * While the collection holds another store's documents, new sessions are written in that
   * store's shape too, so switching back to it keeps them. A `sid` index, or one such
   * document, says koa-generic-session-mongo's documents may be here.
   */
  async detect(col: Collection<SessionDocument>): Promise<void> {
    const indexes = await col
      .listIndexes()
      .toArray()
      .catch(() => [] as Document[]);
    if (indexes.some((index) => index['key']?.['sid'] !== undefined)) this.#shapes.add('sid');
    const doc = await col.findOne({ v: { $exists: false }, revoked: { $exists: false } } as Document, {
      projection: { session: 1, blob: 1, v: 1, sid: 1, ttl: 1, createdAt: 1, expires: 1 },
    });
    const shape = doc ? peerShapeOf(doc) : undefined;
    if (shape) this.#shapes.add(shape);
    if (!this.#options.peerFormat && !this.#options.adoptPeerDocuments) this.newShape = shape;
  }

  /** Filters of the peers' expired documents whose lifetime is another field than `expires`. */
  expiredFilters(now: Date): Document[] {
    return [...this.#shapes].flatMap((shape) => expiredPeerFilter(shape, now, this.#options.ttlMs) ?? []);
  }
}
