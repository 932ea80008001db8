/**
 * "Log out everywhere" through a real app, shared by every adapter: one user
 * logged in from two cookie jars is logged out of both by one
 * `destroyByOwner` call, and a request that read the session before the call
 * and writes it after does not bring the session back.
 *
 * The shared security suite (suites/security.ts) starts each adapter's real app (its
 * framework, its store built with `owner: (s) => s.user`) serving the routes answered by
 * {@link ownerRoute}:
 *   GET /login?user=<name>   puts `user` into the session
 *   GET /whoami              the session's user, or "anonymous"
 *   GET /slow?n=<v>          reads the session, waits at the scenario's gate, then sets `slow` (a write in flight)
 */
import { strict as assert } from 'node:assert';
import { BSON, MongoClient } from 'mongodb';
import { CookieClient } from '../http';

/** Secrets for the security tests (each at least 32 characters, as the core requires). */
export const CRYPTO_SECRET = 'crypto-secret-0123456789abcdefghijklmnop';
export const HASH_SECRET = 'hash-secret-0123456789abcdefghijklmnopqr';
/** The three security options as every adapter's tests set them; `owner` reads `user` from the framework's body. */
export const SECURE_OPTIONS = Object.freeze({
  crypto: { secret: CRYPTO_SECRET },
  hashSessionIds: { secret: HASH_SECRET },
  owner: (session: Record<string, unknown>) => session['user'] as string | undefined,
});

/** The owner methods every adapter's store object exposes. */
export interface OwnerStoreLike {
  listByOwner(owner: string): Promise<{ id: string; session: Record<string, any>; expires: Date }[]>;
  countByOwner(owner: string): Promise<number>;
  destroyByOwner(owner: string): Promise<number>;
}

export interface OwnerApp {
  baseUrl: string;
  store: OwnerStoreLike;
  close(): Promise<void>;
}

/** Starts a real app for one adapter whose `/slow` route waits at `gate`. */
export type StartOwnerApp = (gate: Gate) => Promise<OwnerApp>;

/** Where `/slow` waits: the scenario learns when a handler got there and decides when it goes on. */
export class Gate {
  #open = false;
  #release!: () => void;
  readonly #released = new Promise<void>((resolve) => (this.#release = resolve));
  #arrived!: () => void;
  /** Resolves when a handler first reaches the gate. */
  readonly reached = new Promise<void>((resolve) => (this.#arrived = resolve));

  /** Called by the handler: resolves once the gate is open. */
  arrive(): Promise<void> {
    this.#arrived();
    return this.#open ? Promise.resolve() : this.#released;
  }

  open(): void {
    this.#open = true;
    this.#release();
  }
}

/** One request's session as the routes need it, in the framework's own terms. */
export interface OwnerRouteSession {
  user(): string | undefined | Promise<string | undefined>;
  setUser(user: string): void | Promise<void>;
  setSlow(value: string): void | Promise<void>;
}

/** Answers the scenario's routes; resolves the response text, or undefined for an unknown path. */
export async function ownerRoute(url: URL, session: OwnerRouteSession, gate: Gate): Promise<string | undefined> {
  switch (url.pathname) {
    case '/login':
      await session.setUser(url.searchParams.get('user') ?? '');
      return 'ok';
    case '/whoami':
      return (await session.user()) ?? 'anonymous';
    case '/slow':
      // Read first (the framework loaded the session already), then write only after the gate opens.
      await session.user();
      await gate.arrive();
      await session.setSlow(url.searchParams.get('n') ?? '');
      return 'ok';
    default:
      return undefined;
  }
}

async function text(client: CookieClient, path: string): Promise<string> {
  const response = await client.get(path);
  assert.equal(response.status, 200, `${path} answered ${response.status}`);
  return response.text;
}

/** The scenario. Resolves when every assertion held; throws an AssertionError otherwise. */
export async function logOutEverywhere(start: StartOwnerApp): Promise<void> {
  const gate = new Gate();
  const app = await start(gate);
  try {
    const [annA, annB, bob] = [new CookieClient(app.baseUrl), new CookieClient(app.baseUrl), new CookieClient(app.baseUrl)];
    for (const [client, user] of [
      [annA, 'ann'],
      [annB, 'ann'],
      [bob, 'bob'],
    ] as const) {
      await text(client, `/login?user=${user}`);
      assert.equal(await text(client, '/whoami'), user);
    }
    assert.equal(await app.store.countByOwner('ann'), 2);
    assert.equal(await app.store.countByOwner('bob'), 1);

    // A request of ann's first jar reads its session and waits at the gate: its write is in flight.
    const slow = annA.get('/slow?n=late');
    // Failing before it is awaited closes the app under it: that rejection is not the failure to report.
    slow.catch(() => undefined);
    await gate.reached;
    const revoked = await app.store.destroyByOwner('ann');
    assert.ok(revoked >= 2, `destroyByOwner('ann') resolved ${revoked}, expected 2`);
    assert.equal(await app.store.countByOwner('ann'), 0);
    gate.open();
    assert.equal((await slow).status, 200);

    assert.equal(await text(annA, '/whoami'), 'anonymous');
    assert.equal(await text(annB, '/whoami'), 'anonymous');
    assert.equal(await app.store.countByOwner('ann'), 0);
    assert.deepEqual(await app.store.listByOwner('ann'), []);

    assert.equal(await text(bob, '/whoami'), 'bob');
    const bobs = await app.store.listByOwner('bob');
    assert.equal(bobs.length, 1);
    assert.equal(bobs[0]!.session['user'], 'bob');
    assert.ok(bobs[0]!.expires.getTime() > Date.now());
  } finally {
    gate.open();
    await app.close();
  }
}

export interface SealedAtRestOptions {
  /** Connection string of the database the app's store writes to. */
  uri: string;
  collection: string;
  /** The session id the client's cookie carries. */
  sessionIdOf(client: CookieClient): Promise<string>;
  /** The `_id` the store must have written for that session id (a keyed hash of it). */
  expectedDocumentId(sessionId: string): string;
}

/**
 * With `hashSessionIds` and `crypto` on: the stored `_id` is the keyed hash, not
 * the cookie's id, and a value put into the session appears nowhere in the raw
 * documents (BSON bytes, encrypted values included). Read through the driver.
 */
export async function sealedAtRest(start: StartOwnerApp, options: SealedAtRestOptions): Promise<void> {
  const canary = `canary-${process.pid}-${Date.now().toString(36)}-do-not-leak`;
  const gate = new Gate();
  gate.open();
  const app = await start(gate);
  const raw = new MongoClient(options.uri);
  try {
    const client = new CookieClient(app.baseUrl);
    await text(client, '/login?user=carol');
    await text(client, `/slow?n=${canary}`);
    assert.equal(await text(client, '/whoami'), 'carol');
    // The canary did reach the store (so its absence below means something).
    const carols = await app.store.listByOwner('carol');
    assert.equal(carols.length, 1);
    assert.equal(carols[0]!.session['slow'], canary);

    const sessionId = await options.sessionIdOf(client);
    const docs = await raw.db().collection<{ _id: unknown }>(options.collection).find({}).toArray();
    assert.ok(docs.length > 0, 'no documents stored');
    for (const doc of docs) {
      assert.equal(typeof doc._id, 'string');
      assert.ok(!(doc._id as string).includes(sessionId), 'a document _id contains the cookie session id');
      const bytes = Buffer.from(BSON.serialize(doc));
      assert.ok(!bytes.includes(Buffer.from(canary)), 'the canary appears in a raw document');
      assert.ok(!bytes.includes(Buffer.from(sessionId)), 'the cookie session id appears in a raw document');
    }
    const expectedId = options.expectedDocumentId(sessionId);
    const carolDoc = docs.find((doc) => doc._id === expectedId) as Record<string, unknown> | undefined;
    assert.ok(carolDoc, 'no document under the keyed hash of the session id');
    assert.equal(carolDoc['owner'], 'carol');
    assert.equal(carols[0]!.id, expectedId);
  } finally {
    await raw.close();
    await app.close();
  }
}
