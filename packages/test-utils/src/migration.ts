/** What the migration tests store for a logged-in user and compare after each switch of stores. */

/**
 * Unicode, Dates, numbers, nested objects and arrays; nested arrays and dotted keys only when
 * the store under test can keep them (FerretDB refuses both in a peer's BSON documents).
 */
export function migrationValues(user: string, options: { nestedArraysAndDottedKeys: boolean }): Record<string, unknown> {
  return {
    user,
    greeting: 'Grüße, 日本, 🎉',
    since: new Date('2026-01-02T03:04:05.678Z'),
    score: 41.5,
    big: 2 ** 40,
    profile: {
      name: { first: user.toUpperCase(), last: 'Ünïcode' },
      langs: ['en', 'fr'],
      joined: new Date('2025-05-06T07:08:09.010Z'),
    },
    cart: [
      { sku: 'a', qty: 2 },
      { sku: 'b', qty: 1 },
    ],
    ...(options.nestedArraysAndDottedKeys
      ? {
          matrix: [
            [1, 2],
            [3, 4],
          ],
          prefs: { 'theme.dark': true, 'a.b.c': 'deep' },
        }
      : {}),
  };
}

/** The values as a JSON store reads them back (Dates as strings), with the user's counter. */
export function migrationValuesAsJson(values: Record<string, unknown>, count: number): Record<string, unknown> {
  return JSON.parse(JSON.stringify({ ...values, count })) as Record<string, unknown>;
}
