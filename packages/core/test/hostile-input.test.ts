/**
 * Hostile and broken input through the core store API (issue 9, part 1):
 * the fixed corpus of packages/test-utils/src/hostile-corpus.ts, then
 * fast-check properties, against the real server. After every case: no
 * built-in prototype changed, a sentinel session still reads back, and no
 * event payload so far contains the canary.
 */
import fc from 'fast-check';
import { MongoClient } from 'mongodb';
import { ErrorCode, SessionStore } from '@mongo-session/core';
import { testUri, uniqueDatabaseName } from '@mongo-session/test-utils';
import {
  BODY_CASES,
  CANARY,
  CORRUPT_CASES,
  ID_CASES,
  OPTION_CASES,
  type Serializer,
  assertNoCanary,
  assertNoPollution,
  corpusSize,
  outcomeOf,
  prototypeFingerprint,
  withUri,
} from '@mongo-session/test-utils/hostile-corpus';

const database = uniqueDatabaseName('core_hostile');
const uri = testUri(database);
const raw = new MongoClient(uri);
const COLLECTIONS: Record<Serializer, string> = { lossless: 'hostile', json: 'hostile_json' };
const events: { store: Serializer; event: string; payload: unknown[] }[] = [];
const stores = {} as Record<Serializer, SessionStore>;
const SENTINEL = { id: 'sentinel', body: { sentinel: 'alive', list: [1, 2, 3] } };
/** Per class: how many cases ran, by outcome. Printed at the end. */
const tally: Record<string, Record<string, number>> = {};
const count = (cls: string, outcome: string) => {
  tally[cls] ??= {};
  tally[cls][outcome] = (tally[cls][outcome] ?? 0) + 1;
};

function open(serializer: Serializer): SessionStore {
  const store = new SessionStore({ uri, collection: COLLECTIONS[serializer], serializer, autoRemove: 'disabled' });
  for (const event of ['warning', 'error', 'create', 'update', 'touch', 'destroy', 'connect', 'disconnect'] as const) {
    store.on(event, (...payload: unknown[]) => events.push({ store: serializer, event, payload }));
  }
  return store;
}

const rawCollection = (serializer: Serializer) =>
  raw.db().collection<{ _id: string } & Record<string, unknown>>(COLLECTIONS[serializer]);

let fingerprint = '';
let eventsChecked = 0;

beforeAll(async () => {
  stores.lossless = open('lossless');
  stores.json = open('json');
  await Promise.all(Object.values(stores).map((s) => s.set(SENTINEL.id, SENTINEL.body)));
});

beforeEach(() => {
  fingerprint = prototypeFingerprint();
});

afterEach(async () => {
  // Never prototype pollution; other sessions keep working; no event carries session contents.
  assertNoPollution(fingerprint);
  for (const store of Object.values(stores)) expect(await store.get(SENTINEL.id)).toEqual(SENTINEL.body);
  for (const entry of events.slice(eventsChecked)) assertNoCanary(entry.payload, `event ${entry.event}`);
  eventsChecked = events.length;
});

afterAll(async () => {
  const size = corpusSize();
  console.log(
    `hostile corpus through the core: ${size.total} cases (ids ${size.ids}, bodies ${size.bodies}, options ${size.options}, ` +
      `corrupted documents ${size.corrupt}); outcomes by class: ${JSON.stringify(tally)}`,
  );
  await Promise.all(Object.values(stores).map((s) => s.close()));
  await raw.db().dropDatabase();
  await raw.close();
});

it('the fixed corpus has at least 200 cases', () => {
  expect(corpusSize().total).toBeGreaterThanOrEqual(200);
});

describe('session ids', () => {
  const store = () => stores.lossless;
  const expectInvalid = async (promise: Promise<unknown>) => {
    const result = await outcomeOf(promise);
    expect(result.code).toBe(ErrorCode.InvalidSessionId);
    assertNoCanary(result.error, 'InvalidSessionIdError');
    return result;
  };

  it.each(ID_CASES.map((c) => [c.name, c] as const))('%s', async (_name, row) => {
    const id = row.id as string;
    const body = { canary: CANARY, n: 1 };
    if (row.outcome === 'invalid-id') {
      for (const op of [
        () => store().get(id),
        () => store().load(id),
        () => store().set(id, body),
        () => store().touch(id, { ttlMs: 60_000 }),
        () => store().destroy(id),
      ]) {
        await expectInvalid(op());
        count('ids', 'InvalidSessionIdError');
      }
      // An operator id matched nothing: the sentinel is untouched (checked after each case too).
      return;
    }
    // A valid id: nothing stored under it; touch and destroy create nothing; set and get work.
    expect(await store().get(id)).toBeNull();
    expect(await store().load(id)).toBeNull();
    await store().touch(id, { ttlMs: 60_000 });
    expect(await store().get(id)).toBeNull();
    await store().destroy(id);
    await store().set(id, body);
    expect(await store().get(id)).toEqual(body);
    await store().destroy(id);
    expect(await store().get(id)).toBeNull();
    for (let i = 0; i < 5; i++) count('ids', 'valid: no session / round trip');
  });
});

describe('session bodies', () => {
  const rows = BODY_CASES.flatMap((c) => (['lossless', 'json'] as const).map((s) => [`${c.name} (${s})`, c, s] as const));

  it.each(rows)('%s', async (_name, row, serializer) => {
    const store = stores[serializer];
    const id = `body-${BODY_CASES.indexOf(row)}-${serializer}`;
    const outcome = row.outcome[serializer];
    const result = await outcomeOf(store.set(id, row.make() as Record<string, unknown>));
    if (outcome.kind === 'serialization-error') {
      expect(result.code).toBe(ErrorCode.Serialization);
      assertNoCanary(result.error, 'SerializationError');
      // Refused before any query: nothing was written.
      expect(await rawCollection(serializer).findOne({ _id: id })).toBeNull();
      count('bodies', 'SerializationError');
      return;
    }
    expect(result.code).toBe('resolved');
    const read = await store.get(id);
    if (outcome.kind === 'unreadable') {
      expect(read).toBeNull();
      const last = events.filter((e) => e.store === serializer && e.event === 'warning').at(-1);
      expect(last?.payload[0]).toMatchObject({ code: 'CORRUPT_DOCUMENT' });
      await store.destroy(id);
      count('bodies', 'json: written, then read as no session + CORRUPT_DOCUMENT');
      return;
    }
    expect(read).toEqual(outcome.expected);
    expect(Object.getPrototypeOf(read)).toBe(Object.prototype);
    await store.destroy(id);
    count('bodies', 'stored as documented');
  });

  it('a "__proto__" key comes back as an own property, never as the prototype', async () => {
    for (const store of Object.values(stores)) {
      await store.set('proto', JSON.parse(`{"__proto__": {"polluted": "${CANARY}"}}`) as Record<string, unknown>);
      const read = (await store.get('proto'))!;
      expect(Object.getPrototypeOf(read)).toBe(Object.prototype);
      expect(Object.keys(read)).toEqual(['__proto__']);
      expect((read as Record<string, unknown>)['polluted']).toBeUndefined();
    }
  });
});

describe('options', () => {
  it.each(OPTION_CASES.map((c) => [c.name, c] as const))('%s', (_name, row) => {
    let thrown: unknown;
    try {
      const store = new SessionStore(withUri(row.options, uri) as never);
      void store.close();
    } catch (error) {
      thrown = error;
    }
    expect((thrown as { code?: unknown } | undefined)?.code).toBe(ErrorCode.InvalidOption);
    expect((thrown as { option?: unknown }).option).toBe(row.option);
    assertNoCanary(thrown, 'InvalidOptionError');
    count('options', 'InvalidOptionError');
  });

  it('per-call options: a NaN lifetime or an invalid Date is an InvalidOptionError', async () => {
    for (const opts of [
      { ttlMs: NaN },
      { expires: new Date(NaN) },
      { ttlMs: '1' as unknown as number },
      { expires: 'tomorrow' as unknown as Date },
    ]) {
      expect((await outcomeOf(stores.lossless.set('per-call', { canary: CANARY }, opts))).code).toBe(ErrorCode.InvalidOption);
      expect((await outcomeOf(stores.lossless.touch('per-call', opts))).code).toBe(ErrorCode.InvalidOption);
    }
    // A negative lifetime means "already expired": the write deletes and succeeds.
    await stores.lossless.set('per-call', { canary: CANARY }, { ttlMs: -1 });
    expect(await stores.lossless.get('per-call')).toBeNull();
    // Lifetimes beyond Date's range are clamped into it, never written as an invalid date.
    for (const ttlMs of [-1e300, -Infinity]) {
      await stores.lossless.set('per-call', { canary: CANARY });
      await stores.lossless.set('per-call', { canary: CANARY }, { ttlMs });
      expect(await stores.lossless.get('per-call')).toBeNull();
    }
    await stores.lossless.set('per-call', { canary: CANARY }, { ttlMs: 1e300 });
    expect(await stores.lossless.get('per-call')).toEqual({ canary: CANARY });
  });
});

describe('documents corrupted by hand', () => {
  const rows = CORRUPT_CASES.flatMap((c) =>
    (['lossless', 'json'] as const).map((s) => [`${c.name} (read by a ${s} store)`, c, s] as const),
  );

  it.each(rows)('%s', async (_name, row, serializer) => {
    const store = stores[serializer];
    const id = `corrupt-${CORRUPT_CASES.indexOf(row)}`;
    const document = Object.fromEntries(Object.entries(row.document(new Date())).filter(([, v]) => v !== undefined));
    await rawCollection(serializer).insertOne({ ...document, _id: id });
    const before = events.filter((e) => e.store === serializer && e.event === 'warning').length;
    const read = await store.get(id);
    const loaded = await store.load(id);
    const warnings = events.filter((e) => e.store === serializer && e.event === 'warning').slice(before);
    const listed = await store.all();
    const corruptWarnings = warnings.filter((w) => (w.payload[0] as { code: string }).code === 'CORRUPT_DOCUMENT');
    if (row.outcome === 'corrupt' || row.outcome === 'expired') {
      expect(read).toBeNull();
      expect(loaded).toBeNull();
      expect(listed.map((s) => s.id)).not.toContain(id);
      if (row.outcome === 'corrupt') expect(corruptWarnings.length).toBeGreaterThanOrEqual(2);
      else expect(corruptWarnings).toEqual([]);
      count('corrupted documents', row.outcome === 'corrupt' ? 'no session + CORRUPT_DOCUMENT' : 'no session (expired)');
    } else {
      expect(read).toEqual(row.outcome.readable);
      expect(Object.getPrototypeOf(read)).toBe(Object.prototype);
      count('corrupted documents', 'readable as documented');
    }
    for (const warning of warnings) assertNoCanary(warning.payload, 'warning');
    // The next write replaces the broken document.
    await store.set(id, { fresh: 1 });
    expect(await store.get(id)).toEqual({ fresh: 1 });
    await store.destroy(id);
  });
});

describe('properties (fast-check, against the server)', () => {
  const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;
  const wellFormed = (s: string) => s.replace(LONE_SURROGATE, '\ufffd');
  let run = 0;

  it('any id: a string of 1-1024 characters without NUL reads as no session; anything else is InvalidSessionIdError', async () => {
    const ids = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 40 }),
      fc.string({ unit: 'grapheme-ascii', minLength: 1015, maxLength: 1035 }),
      fc.anything({
        maxDepth: 2,
        withBigInt: true,
        withDate: true,
        withMap: true,
        withNullPrototype: true,
        withBoxedValues: true,
      }),
      fc.record({ $ne: fc.anything({ maxDepth: 1 }) }),
    );
    await fc.assert(
      fc.asyncProperty(ids, async (id) => {
        const valid = typeof id === 'string' && id.length >= 1 && id.length <= 1024 && !id.includes('\u0000');
        const result = await outcomeOf(stores.lossless.load(id as string));
        if (valid) {
          // Only the sentinel exists in this collection besides what the property itself writes.
          if (wellFormed(id) !== SENTINEL.id) expect(result).toEqual({ code: 'resolved', value: null });
        } else {
          expect(result.code).toBe(ErrorCode.InvalidSessionId);
        }
      }),
      { numRuns: 200 },
    );
    assertNoPollution(fingerprint);
  });

  it('JSON-like bodies with Dates, special numbers, NUL and odd keys round-trip exactly (lossless)', async () => {
    const key = fc.oneof(
      fc.string({ unit: 'grapheme', maxLength: 6 }),
      fc.constantFrom('__proto__', 'constructor', '$where', 'a.b', '%s', '%', ''),
    );
    const leaf = fc.oneof(
      fc.string({ unit: 'grapheme', maxLength: 12 }),
      fc.constantFrom('\u0000', 'a\u0000b', CANARY),
      fc.double(),
      fc.integer(),
      fc.boolean(),
      fc.constant(null),
      fc.date({ noInvalidDate: true }),
    );
    const { tree } = fc.letrec<{ tree: unknown }>((tie) => ({
      tree: fc.oneof(
        { depthSize: 'small', withCrossShrink: true },
        leaf,
        fc.array(tie('tree'), { maxLength: 4 }),
        fc.dictionary(key, tie('tree'), { maxKeys: 4 }),
      ),
    }));
    const body = fc.dictionary(key, tree, { maxKeys: 6 });
    await fc.assert(
      fc.asyncProperty(body, async (generated) => {
        const id = `prop-body-${run++}`;
        await stores.lossless.set(id, generated);
        const read = await stores.lossless.get(id);
        expect(read).toEqual(generated);
        expect(Object.getPrototypeOf(read)).toBe(Object.prototype);
        await stores.lossless.destroy(id);
      }),
      { numRuns: 150 },
    );
    assertNoPollution(fingerprint);
  });

  it('strings with lone surrogates come back with U+FFFD in their place (lossless), exactly (json)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.string({ unit: 'binary', maxLength: 10 }),
        fc.string({ unit: 'binary', minLength: 1, maxLength: 10 }),
        async (value, key) => {
          const id = `prop-string-${run++}`;
          const body = { [key]: value, canary: CANARY };
          await stores.lossless.set(id, body);
          expect(await stores.lossless.get(id)).toEqual({ [wellFormed(key)]: wellFormed(value), canary: CANARY });
          await stores.json.set(id, body);
          expect(await stores.json.get(id)).toEqual(body);
          await Promise.all([stores.lossless.destroy(id), stores.json.destroy(id)]);
        },
      ),
      { numRuns: 100 },
    );
  });

  it('any value as a body: stored and read back as a plain object, or SerializationError; never another error, never the canary', async () => {
    const anything = fc.anything({
      maxDepth: 4,
      withBigInt: true,
      withDate: true,
      withMap: true,
      withSet: true,
      withNullPrototype: true,
      withBoxedValues: true,
      withTypedArray: true,
      withSparseArray: true,
      withObjectString: true,
    });
    await fc.assert(
      fc.asyncProperty(
        fc.dictionary(fc.string({ maxLength: 6 }), anything, { maxKeys: 5 }),
        fc.constantFrom<Serializer>('lossless', 'json'),
        async (generated, serializer) => {
          const id = `prop-any-${run++}`;
          const body = { ...generated, canary: CANARY };
          const result = await outcomeOf(stores[serializer].set(id, body));
          expect(['resolved', ErrorCode.Serialization]).toContain(result.code);
          assertNoCanary(result.error, 'set error');
          if (result.code === 'resolved') {
            const read = await stores[serializer].get(id);
            expect(read).not.toBeNull();
            expect(Object.getPrototypeOf(read)).toBe(Object.prototype);
            expect(read!['canary']).toBe(CANARY);
            await stores[serializer].destroy(id);
          }
          assertNoPollution(fingerprint);
        },
      ),
      { numRuns: 150 },
    );
  });
});
