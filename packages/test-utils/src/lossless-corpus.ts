/**
 * The lossless format's round-trip corpus, shared by the encoding, encryption and
 * hostile-input tests.
 */
/** Bodies that must come back exactly as they went in (deepEqual, with Dates as Dates). */
export const losslessCorpus: Readonly<Record<string, Record<string, unknown>>> = {
  'empty body': {},
  'JSON scalars': { s: 'text', n: 42, f: -1.5, t: true, nil: null, big: 2 ** 52, small: -(2 ** 31) },
  'unicode strings and keys': { ключ: 'значение', emoji: '😀 family 👨‍👩‍👧', rtl: 'שלום', zw: 'a\u200bb' },
  'nested objects and arrays': { a: { b: { c: [1, { d: [true, null] }] } }, list: [] },
  'Dates at any depth': { at: new Date(0), deep: { when: new Date('2030-01-02T03:04:05.678Z') }, list: [new Date(1)] },
  'keys containing dots': { 'a.b': 1, nested: { 'x.y.z': { '.': 2 } } },
  'keys starting with $': { $where: 'x', $: 1, nested: { $ne: null, a$b: 3 } },
  'keys with percent signs': { '%': 1, '%25': 2, '%s': 3, '%l': 4, '100%': { '%2E': 5 } },
  'empty key': { '': 'empty', nested: { '': { '': 1 } } },
  'nested arrays': {
    m: [
      [1, 2],
      [3, [4, [5]]],
    ],
    e: [[]],
    deep: { x: [[[['a']]]] },
  },
  'NUL characters in strings': { s: 'a\u0000b', only: '\u0000', list: ['\u0000\u0000x'], 'k\u0000ey': 1 },
  '__proto__, constructor and prototype keys': JSON.parse(
    '{"__proto__": {"polluted": true}, "constructor": {"prototype": {"polluted": true}}, "prototype": 1, "nested": {"__proto__": [1]}}',
  ),
  'strings that look like tags': { x: { '%s': 'not a tag' }, y: { '%l': [1] }, z: [{ '%n': 'NaN' }] },
  'special numbers': { nan: NaN, inf: Infinity, ninf: -Infinity, nz: -0, list: [NaN, -0] },
  'large array': { list: Array.from({ length: 5000 }, (_, i) => i) },
  'long string': { s: 'x'.repeat(1_000_000) },
};
