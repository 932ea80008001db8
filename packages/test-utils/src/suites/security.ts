/**
 * The security scenarios through the adapter's framework (issue 10): "log out everywhere" with a
 * write in flight, hashed ids plus encryption checked through the raw driver, and bad security
 * options refused by name.
 */
import { hashSessionId, InvalidOptionError } from '@mongo-session/core';
import {
  type Gate,
  HASH_SECRET,
  logOutEverywhere,
  SECURE_OPTIONS,
  sealedAtRest,
  type StartOwnerApp,
} from '../conformance/owners';
import type { SuiteContext } from './context';
import { sharedRoute } from './routes';

export function securitySuite(ctx: SuiteContext): void {
  const { adapter } = ctx;
  /** The framework over a store with all three security options; its warnings collected. */
  const startApp =
    (collection: string, warnings: string[] = []): StartOwnerApp =>
    async (gate: Gate) => {
      const store = await ctx.open(collection, SECURE_OPTIONS);
      store.on('warning', (warning: { code: string }) => warnings.push(warning.code));
      const app = await adapter.serve(store as never, sharedRoute(gate), { signed: true });
      return {
        baseUrl: app.baseUrl,
        store,
        async close() {
          await app.close();
          await store.close();
        },
      };
    };

  it('logs a user out of every jar with one destroyByOwner, and a write in flight does not bring the session back', async () => {
    const warnings: string[] = [];
    await logOutEverywhere(startApp('everywhere', warnings));
    // The write in flight was attempted and dropped, not silently lost elsewhere. A standalone handle
    // reads when it writes: finding no session, it starts a new one under a new id, and nothing is dropped.
    if (adapter.contract !== 'standalone') expect(warnings).toContain('WRITE_AFTER_DESTROY');
  });

  it('stores a keyed hash of the session id and no session value in clear', async () => {
    const sessionIdOf = adapter.sessionIdOf ?? ((value: string) => value);
    const storeIdOf = adapter.storeIdOf ?? ((id: string) => id);
    await sealedAtRest(startApp('sealed'), {
      uri: ctx.uri,
      collection: 'sealed',
      sessionIdOf: async (client) => sessionIdOf((await client.cookie(adapter.cookies[0]!))!),
      expectedDocumentId: (sid) => hashSessionId(storeIdOf(sid), HASH_SECRET),
    });
  });

  it.each([
    ['crypto', { crypto: { secret: 'too short' } }],
    ['hashSessionIds', { hashSessionIds: { secret: 'too short' } }],
    ['owner', { owner: 'user' }],
  ])('refuses a bad %s with an InvalidOptionError naming it', async (name, bad) => {
    const error = await ctx.open(`refused_${name}`, bad).then(
      async (store) => {
        await store.close();
        return undefined;
      },
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(InvalidOptionError);
    expect(error).toMatchObject({ option: name });
  });
}
