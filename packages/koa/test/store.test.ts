/** The adapter's own surface: options, events passed on from the core, close(). */
import { ErrorCode } from '@mongo-session/core';
import { createStore, KoaSessionStore } from '@mongo-session/koa';
import defaultExport from '@mongo-session/koa';
import { testUri, uniqueDatabaseName } from '@mongo-session/test-utils';

const uri = testUri(uniqueDatabaseName('koa_store'));

describe('createStore', () => {
  it('is the default export and returns a KoaSessionStore', async () => {
    expect(defaultExport).toBe(createStore);
    const store = createStore({ uri });
    expect(store).toBeInstanceOf(KoaSessionStore);
    await store.ready();
    expect(store.connected).toBe(true);
    await store.close();
  });

  it('validates options: core names and sessionCookieTtlMs, naming the option at fault', () => {
    expect(() => createStore({ uri, sessionCookieTtlMs: -1 })).toThrow(
      expect.objectContaining({ code: ErrorCode.InvalidOption, option: 'sessionCookieTtlMs' }),
    );
    expect(() => createStore({ uri, ttl: 5 } as never)).toThrow(
      expect.objectContaining({ code: ErrorCode.InvalidOption, option: 'ttl' }),
    );
    expect(() => createStore({} as never)).toThrow(expect.objectContaining({ code: ErrorCode.InvalidOption }));
  });

  it("passes the core's events on and stops after close()", async () => {
    const store = createStore({ uri, collection: 'events' });
    const seen: string[] = [];
    store
      .on('create', () => seen.push('create'))
      .on('update', () => seen.push('update'))
      .on('destroy', () => seen.push('destroy'));
    await store.set('ev-1', { a: 1 }, 60_000, { changed: true, ctx: {}, rolling: false });
    const ctx = {};
    await store.get('ev-1', 60_000, { ctx, rolling: false });
    await store.set('ev-1', { a: 2 }, 60_000, { changed: true, ctx, rolling: false });
    await store.destroy('ev-1', { ctx });
    expect(seen).toEqual(['create', 'update', 'destroy']);
    await store.close();
    await expect(store.get('ev-1', 60_000, { ctx: {}, rolling: false })).rejects.toMatchObject({ code: ErrorCode.StoreClosed });
  });

  it('an id the store cannot take (from a forged unsigned cookie) reads as no session', async () => {
    const store = createStore({ uri, collection: 'ids' });
    try {
      expect(await store.get('x'.repeat(5000), 60_000, { ctx: {}, rolling: false })).toBeNull();
      await store.destroy('', { ctx: {} });
    } finally {
      await store.close();
    }
  });

  it("maxAge 'session' without a ctx is stored for sessionCookieTtlMs (default one day)", async () => {
    const store = createStore({ uri, collection: 'session_ttl' });
    try {
      await store.set('sc-1', { a: 1, _session: true }, 'session', { changed: true, ctx: {}, rolling: false });
      const [entry] = await store.core.all();
      const lifetime = entry!.expires.getTime() - Date.now();
      expect(lifetime).toBeGreaterThan(86_400_000 - 60_000);
      expect(lifetime).toBeLessThanOrEqual(86_400_000);
    } finally {
      await store.close();
    }
  });
});
