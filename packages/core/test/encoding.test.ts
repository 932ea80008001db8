import { MongoClient } from 'mongodb';
import { SerializationError, SessionStore } from '@mongo-session/core';
// The encoding is internal: tested from its module, not exported by the package.
import { decodeBody, encodeBody, escapeKey, MAX_DEPTH, unescapeKey } from '../src/encoding';
import { testUri, uniqueDatabaseName } from '@mongo-session/test-utils';
import { losslessCorpus as corpus } from '@mongo-session/test-utils/lossless-corpus';

/** Values that follow JSON's rules rather than round-tripping. */
const jsonRules: [string, Record<string, unknown>, Record<string, unknown>][] = [
  [
    'undefined, functions and symbols are dropped from objects',
    { a: undefined, f: () => 1, s: Symbol('x'), keep: 1 },
    { keep: 1 },
  ],
  ['... and become null in arrays', { list: [undefined, () => 1, Symbol('y'), 2] }, { list: [null, null, null, 2] }],
  ['toJSON is honoured', { v: { toJSON: () => 'custom' } }, { v: 'custom' }],
  ['invalid Dates become null', { d: new Date(NaN) }, { d: null }],
  ['Maps and Sets become empty objects', { m: new Map([[1, 2]]), s: new Set([1]) }, { m: {}, s: {} }],
];

describe('lossless encoding (unit)', () => {
  it.each(Object.entries(corpus))('%s round-trips in memory', (_name, body) => {
    expect(decodeBody(encodeBody(body))).toEqual(body);
  });

  it.each(jsonRules)('%s', (_name, body, expected) => {
    expect(decodeBody(encodeBody(body))).toEqual(expected);
  });

  it('escapes keys reversibly and never produces "." or a leading "$"', () => {
    for (const key of ['a.b', '$x', '%', '', '__proto__', 'x\u0000y', '%2E', 'plain', '$.%']) {
      const stored = escapeKey(key);
      expect(stored.includes('.')).toBe(false);
      expect(stored.startsWith('$')).toBe(false);
      expect(stored).not.toBe('__proto__');
      expect(unescapeKey(stored)).toBe(key);
    }
  });

  it('does not pollute prototypes when decoding __proto__ keys', () => {
    const decoded = decodeBody(encodeBody(JSON.parse('{"__proto__": {"polluted": "yes"}}')));
    expect(Object.getPrototypeOf(decoded)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
    expect(Object.keys(decoded)).toEqual(['__proto__']);
  });

  it('refuses BigInt, circular values and deep nesting with SerializationError', () => {
    const circular: Record<string, unknown> = {};
    circular['self'] = circular;
    let deep: Record<string, unknown> = {};
    const root = deep;
    for (let i = 0; i < MAX_DEPTH + 5; i++) deep = deep['n'] = {};
    for (const body of [{ n: 10n }, circular, root]) {
      expect(() => encodeBody(body)).toThrow(SerializationError);
    }
    // Shared (non-circular) references are fine.
    const shared = { x: 1 };
    expect(decodeBody(encodeBody({ a: shared, b: shared }))).toEqual({ a: { x: 1 }, b: { x: 1 } });
  });

  it('refuses bodies over 16 MiB but accepts large ones under it', () => {
    expect(() => encodeBody({ s: 'x'.repeat(17 * 1024 * 1024) })).toThrow(/16 MiB/);
    expect(() => encodeBody({ s: 'x'.repeat(7 * 1024 * 1024) })).not.toThrow();
  });

  it('error messages never contain the session data', () => {
    const canary = 'CANARY-7f3a';
    const bodies = [{ [canary]: 1n }, { a: { b: canary, c: 1n } }];
    for (const body of bodies) {
      try {
        encodeBody(body);
        throw new Error('expected a SerializationError');
      } catch (error) {
        expect(error).toBeInstanceOf(SerializationError);
        expect(String((error as Error).message)).not.toContain(canary);
      }
    }
  });
});

describe('lossless encoding through the server', () => {
  const uri = testUri(uniqueDatabaseName('core_encoding'));
  const store = new SessionStore({ uri });
  const raw = new MongoClient(uri);

  afterAll(async () => {
    await store.clear();
    await store.close();
    await raw.close();
  });

  it.each(Object.entries(corpus))('%s round-trips through MongoDB', async (name, body) => {
    const id = `enc-${name}`;
    await store.set(id, body);
    expect(await store.get(id)).toEqual(body);
  });

  it('stores the documented schema: body in its own field, storage fields beside it', async () => {
    await store.set('schema', { user: 'ada', 'a.b': [[1]] });
    const doc = await raw
      .db()
      .collection('sessions')
      .findOne({ _id: 'schema' as never });
    expect(doc).toMatchObject({ _id: 'schema', v: 1, session: { user: 'ada', 'a%2Eb': [{ '%l': [1] }] } });
    expect(doc!['expires']).toBeInstanceOf(Date);
    expect(doc!['createdAt']).toBeInstanceOf(Date);
    expect(doc!['updatedAt']).toBeInstanceOf(Date);
  });

  it('json serializer stores a JSON string; custom serializers are used both ways', async () => {
    const json = new SessionStore({ uri, collection: 'json_sessions', serializer: 'json' });
    await json.set('j', { when: new Date(0), n: 1 });
    expect(await json.get('j')).toEqual({ when: '1970-01-01T00:00:00.000Z', n: 1 });
    const doc = await raw
      .db()
      .collection('json_sessions')
      .findOne({ _id: 'j' as never });
    expect(typeof doc!['session']).toBe('string');
    await json.close();

    const custom = new SessionStore({
      uri,
      collection: 'custom_sessions',
      serializer: {
        serialize: (s: Record<string, unknown>) => ({ wrapped: JSON.stringify(s) }),
        deserialize: (stored: unknown) => JSON.parse((stored as { wrapped: string }).wrapped) as Record<string, unknown>,
      },
    });
    await custom.set('c', { x: [1, 2] });
    expect(await custom.get('c')).toEqual({ x: [1, 2] });
    const cdoc = await raw
      .db()
      .collection('custom_sessions')
      .findOne({ _id: 'c' as never });
    expect(cdoc!['session']).toEqual({ wrapped: '{"x":[1,2]}' });
    await custom.close();
  });
});
