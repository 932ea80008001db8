/**
 * Device records for adapters: every adapter's `device` option is a function of the request
 * (`req` or `ctx`) called when a session is created. Its failure never costs the session: it
 * is saved without a record, with a `DEVICE_FAILED` warning that holds no request data. For
 * frameworks whose store calls never see the request (koa-generic-session, koa-session-store),
 * `DeviceContext` carries it there: a Koa middleware placed before the session middleware.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { InvalidArgumentError, WarningCode } from './errors';
import { emitWarning } from './forward-events';
import { checkDevice } from './limits';
import type { StoreWarning } from './options';
import type { SessionStore } from './store';
import type { DeviceRecord } from './write-plan';

/** An adapter's `device` option: what the request says about the device, or undefined. */
export type DeviceFunction<Request> = (request: Request) => DeviceRecord | undefined;

const deviceFailed = (reason: string): StoreWarning => ({
  code: WarningCode.DeviceFailed,
  message: `Option "device" ${reason}: the session was saved without a device record.`,
});

/** The record for a session being created, checked; undefined (with a warning) when `describe` throws or returns what the store cannot keep. */
export function describeDevice(store: SessionStore<any>, describe: () => unknown): DeviceRecord | undefined {
  try {
    return checkDevice(describe() ?? undefined);
  } catch (error) {
    const reason = error instanceof InvalidArgumentError ? 'returned a record the store cannot keep' : 'threw';
    emitWarning(store, deviceFailed(reason));
    return undefined;
  }
}

/** Keeps each request's Koa context for the store calls made while it is served. */
export class DeviceContext<Context extends object = object> {
  readonly #storage = new AsyncLocalStorage<Context>();
  #used = false;

  /** The Koa middleware: `app.use(store.deviceContext())` before the session middleware. */
  middleware(): (ctx: Context, next: () => Promise<unknown>) => Promise<unknown> {
    this.#used = true;
    return (ctx, next) => this.#storage.run(ctx, next);
  }

  /** The record for a session being created in the current request, if `device` is set. */
  describe(store: SessionStore<any>, device: DeviceFunction<Context> | undefined): DeviceRecord | undefined {
    if (!device) return undefined;
    const ctx = this.#storage.getStore();
    if (ctx === undefined) {
      // Never silently ignored: the option asks for the middleware.
      emitWarning(
        store,
        deviceFailed(this.#used ? 'ran outside a request' : 'needs app.use(store.deviceContext()) before the session middleware'),
      );
      return undefined;
    }
    return describeDevice(store, () => device(ctx));
  }
}
