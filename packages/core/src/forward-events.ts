/**
 * Helpers for adapters. Events: the core store's events re-emitted on the adapter's own store object,
 * under the adapter's names, with one rule everywhere. An event is forwarded once someone
 * listens for it on the adapter; until then, and whenever nobody listens, the core's own
 * behaviour holds: an `error` is never emitted unheard (it would crash the app), and a
 * warning becomes one process warning per code.
 */
import type { EventEmitter } from 'node:events';
import type { StoreWarning } from './options';
import { globalState } from './registry';
import type { SessionStore, StoreEventMap } from './store';

/** A warning nobody listens to: one process warning per code, per process. */
export function warnOnce(warning: StoreWarning): void {
  const warned = globalState().warned;
  if (warned.has(warning.code)) return;
  warned.add(warning.code);
  process.emitWarning(warning.message, { type: 'MongoSessionWarning', code: warning.code });
}

/** A warning to an emitter's `warning` listeners or, when nobody listens, to the process once per code. */
export function emitWarning(emitter: EventEmitter, warning: StoreWarning): void {
  if (emitter.listenerCount('warning') > 0) emitter.emit('warning', warning);
  else warnOnce(warning);
}

/** The adapter's event names, each with the core event it re-emits. */
export type ForwardedEvents = Readonly<Record<string, keyof StoreEventMap>>;

export function forwardEvents(core: SessionStore<any>, target: EventEmitter, events: ForwardedEvents): void {
  const attached = new Set<string>();
  target.on('newListener', (name: string | symbol) => {
    if (typeof name !== 'string' || attached.has(name) || !Object.hasOwn(events, name)) return;
    attached.add(name);
    const source = events[name]!;
    core.on(source, (...args: unknown[]) => {
      if (target.listenerCount(name) > 0) target.emit(name, ...args);
      else if (source === 'warning') warnOnce(args[0] as StoreWarning);
    });
  });
}

/** The same names on both sides. */
export function sameNames(...names: (keyof StoreEventMap)[]): ForwardedEvents {
  return Object.fromEntries(names.map((name) => [name, name]));
}

/** A class that may also be called without `new`, as the packages we replace allowed. */
export function callableClass<C extends abstract new (...args: any[]) => object>(
  cls: C,
): C & ((...args: ConstructorParameters<C>) => InstanceType<C>) {
  return new Proxy(cls, {
    apply: (target, _this, args: unknown[]) => Reflect.construct(target, args),
  }) as C & ((...args: ConstructorParameters<C>) => InstanceType<C>);
}
