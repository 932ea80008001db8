/**
 * The overlapping-requests scenarios of issue 9 (part 3), over real HTTP, for
 * any app that serves these routes on one session:
 *   GET /set?k=v          sets keys
 *   GET /del?k            deletes keys
 *   GET /wait?ms=&key=    loads the session, waits `ms`, sets `key` = true, saves
 *   GET /destroy          destroys the session
 *   GET /get              the session's data keys as a JSON object (or null / {} when none)
 * The shared concurrency suite (suites/concurrency.ts) runs it through every adapter;
 * the express test also runs it against the peer stores and prints the counts.
 */
import { CookieClient } from './http';

export interface ConcurrencyCounts {
  /** Keys kept after 50 overlapping requests each set their own key (50 is right). */
  keptOf50: number;
  /** A key deleted by one request while 10 slow requests each set their own key: still deleted? */
  deletedKeyStayedDeleted: boolean;
  /** Of those 10 slow keys, how many were kept. */
  slowKeysKeptOf10: number;
  /** A slow write landing after a destroy: the session stayed destroyed? */
  destroyedStayedDestroyed: boolean;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function data(client: CookieClient): Promise<Record<string, unknown>> {
  const res = await client.get('/get');
  const body = res.json<Record<string, unknown> | null>();
  return body ?? {};
}

/** A second client presenting the same session cookies (value and signature). */
async function twin(client: CookieClient, cookieNames: readonly string[]): Promise<CookieClient> {
  const other = new CookieClient(client.baseUrl);
  for (const name of cookieNames) {
    const value = await client.cookie(name);
    if (value !== undefined) await other.setCookie(name, value);
  }
  return other;
}

export async function runConcurrencyScenarios(baseUrl: string, cookieNames: readonly string[]): Promise<ConcurrencyCounts> {
  // 50 overlapping requests on one session, each setting its own key.
  const overlap = new CookieClient(baseUrl);
  await overlap.get('/set?start=1');
  await Promise.all(Array.from({ length: 50 }, (_, i) => overlap.get(`/wait?ms=${100 + (i % 5) * 50}&key=k${i}`)));
  const afterOverlap = await data(overlap);
  const keptOf50 = Array.from({ length: 50 }, (_, i) => `k${i}`).filter((k) => afterOverlap[k] !== undefined).length;

  // A key deleted in one request and untouched by the others stays deleted.
  const deleting = new CookieClient(baseUrl);
  await deleting.get('/set?doomed=1&kept=1');
  const slow = Array.from({ length: 10 }, (_, i) => deleting.get(`/wait?ms=500&key=w${i}`));
  await sleep(150);
  await (await twin(deleting, cookieNames)).get('/del?doomed');
  await Promise.all(slow);
  const afterDelete = await data(deleting);
  const deletedKeyStayedDeleted = !('doomed' in afterDelete);
  const slowKeysKeptOf10 = Array.from({ length: 10 }, (_, i) => `w${i}`).filter((k) => afterDelete[k] !== undefined).length;

  // A write racing a destroy does not resurrect the session.
  const racing = new CookieClient(baseUrl);
  await racing.get('/set?a=1');
  const original = await twin(racing, cookieNames);
  const late = racing.get('/wait?ms=600&key=late');
  await sleep(200);
  await (await twin(racing, cookieNames)).get('/destroy');
  await late;
  // The original cookies, presented again: a resurrected session would show `a` or `late`.
  const afterRace = await data(original);
  const destroyedStayedDestroyed = !('a' in afterRace) && !('late' in afterRace);

  return { keptOf50, deletedKeyStayedDeleted, slowKeysKeptOf10, destroyedStayedDestroyed };
}

/** The counts of several stores side by side, for the test log. */
export function formatCounts(rows: Record<string, ConcurrencyCounts>): string {
  const lines = Object.entries(rows).map(
    ([name, c]) =>
      `  ${name.padEnd(30)} kept ${String(c.keptOf50).padStart(2)}/50 | deleted key stayed deleted: ${c.deletedKeyStayedDeleted ? 'yes' : 'NO '} ` +
      `(slow keys kept ${c.slowKeysKeptOf10}/10) | destroyed stayed destroyed: ${c.destroyedStayedDestroyed ? 'yes' : 'NO'}`,
  );
  return ['overlapping requests on one session:', ...lines].join('\n');
}
