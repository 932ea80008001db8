/** The owner methods every adapter takes from the core (see owner-methods.ts). */
import { addOwnerMethods, type OwnerMethods, ownerMethods, SessionStore, StoreClosedError } from '@mongo-session/core';
import { testUri, uniqueDatabaseName } from '@mongo-session/test-utils';

const uri = testUri(uniqueDatabaseName('core_owner_methods'));
const ownerOf = (s: Record<string, unknown>) => (typeof s['user'] === 'string' ? s['user'] : undefined);

// biome-ignore lint/correctness/noUnusedVariables: it declares the owner methods of the class below.
interface Adapter extends OwnerMethods {}
// biome-ignore lint/suspicious/noUnsafeDeclarationMerging: as in the adapters, addOwnerMethods puts these on the prototype.
class Adapter {
  static {
    addOwnerMethods(Adapter, (adapter) => adapter.#core);
  }
  readonly #core: SessionStore;
  constructor(core: SessionStore) {
    this.#core = core;
  }
}

function viaCallback<T>(call: (callback: (error: Error | null, result?: T) => void) => unknown): Promise<[Error | null, T?]> {
  return new Promise((resolve) => call((error, result) => resolve([error, result])));
}

it('puts listByOwner / countByOwner / destroyByOwner on the prototype, as class methods are, each on its own store', async () => {
  const a = new SessionStore({ uri, collection: 'owners_a', owner: ownerOf, autoRemove: 'interval' });
  const b = new SessionStore({ uri, collection: 'owners_b', owner: ownerOf, autoRemove: 'interval' });
  try {
    await a.set('a1', { user: 'ann' });
    await a.set('a2', { user: 'ann' });
    await b.set('b1', { user: 'ann' });
    const [overA, overB] = [new Adapter(a), new Adapter(b)];
    for (const name of ['listByOwner', 'countByOwner', 'destroyByOwner']) {
      expect(Object.getOwnPropertyDescriptor(Adapter.prototype, name)).toMatchObject({ enumerable: false, writable: true });
      expect(Object.hasOwn(overA, name)).toBe(false);
    }
    expect(await overA.countByOwner('ann')).toBe(2);
    expect(await viaCallback<number>((cb) => overB.countByOwner('ann', cb))).toEqual([null, 1]);
    const [error, listed] = await viaCallback<{ id: string }[]>((cb) => overA.listByOwner('ann', cb));
    expect([error, listed?.map((s) => s.id).sort()]).toEqual([null, ['a1', 'a2']]);
    expect(await overA.destroyByOwner('ann')).toBe(2);
    expect(await a.get('a1')).toBeNull();
    expect(await b.get('b1')).toEqual({ user: 'ann' });
  } finally {
    await Promise.all([a.close(), b.close()]);
  }
});

it('a store that cannot be had rejects (and goes to the callback), never throws', async () => {
  const missing = new StoreClosedError('no store yet');
  const methods = ownerMethods(() => {
    throw missing;
  });
  expect(() => methods.countByOwner('ann').catch(() => undefined)).not.toThrow();
  await expect(methods.listByOwner('ann')).rejects.toBe(missing);
  expect(await viaCallback((cb) => methods.destroyByOwner('ann', cb))).toEqual([missing, undefined]);
});
