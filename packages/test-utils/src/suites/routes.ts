/**
 * The routes every adapter's app serves for the shared suites, over the {@link RouteSession}
 * view `serve` gives of the framework's session:
 *   GET /get                the data keys as JSON
 *   GET /set?k=v            sets keys (strings), then as /get
 *   GET /set-json?v=<json>  sets the keys of a JSON object, then as /get
 *   GET /del?k              deletes keys, then as /get
 *   GET /wait?ms=&key=      reads, waits `ms`, sets `key` = true (overlapping requests)
 *   GET /destroy            ends the session
 *   GET /login, /whoami, /slow   the owner scenarios' routes (conformance/owners.ts)
 * A failure answers 500 with `{ "error": <code> }` only (never session contents).
 */
import { type Gate, ownerRoute } from '../conformance/owners';
import type { Reply, RouteSession, SharedRoute } from './adapter';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const json = (value: unknown, status = 200): Reply => ({ status, contentType: 'application/json', body: JSON.stringify(value) });
const text = (value: string, status = 200): Reply => ({ status, contentType: 'text/plain', body: value });

async function answer(url: URL, session: RouteSession, gate: Gate | undefined): Promise<Reply> {
  switch (url.pathname) {
    case '/get':
      return json(await session.read());
    case '/set':
      await session.set(Object.fromEntries(url.searchParams));
      return json(await session.read());
    case '/set-json':
      await session.set(JSON.parse(url.searchParams.get('v') ?? '{}') as Record<string, unknown>);
      return json(await session.read());
    case '/del':
      await session.del([...url.searchParams.keys()]);
      return json(await session.read());
    case '/wait':
      // Read first, so that overlapping requests overlap between their read and their write.
      await session.read();
      await sleep(Number(url.searchParams.get('ms') ?? 0));
      await session.set({ [url.searchParams.get('key')!]: true });
      return json({ ok: true });
    case '/destroy':
      await session.destroy();
      return json({ destroyed: true });
  }
  if (gate) {
    const owned = await ownerRoute(
      url,
      {
        user: async () => (await session.read())['user'] as string | undefined,
        setUser: async (user) => void (await session.set({ user })),
        setSlow: async (slow) => void (await session.set({ slow })),
      },
      gate,
    );
    if (owned !== undefined) return text(owned);
  }
  return text('not found', 404);
}

/** The route for one app; `gate` is where `/slow` waits (the owner scenarios). */
export function sharedRoute(gate?: Gate): SharedRoute {
  return (url, session) =>
    answer(url, session, gate).catch((error: { code?: unknown } | null) =>
      json({ error: typeof error?.code === 'string' ? error.code : 'untyped' }, 500),
    );
}

/**
 * The {@link RouteSession} of a session the framework keeps as a plain object (express-session
 * and the Koa frameworks): keys set and deleted on it; `read` without the keys in `hidden`
 * (the framework's bookkeeping), unless the framework has its own view (`read`).
 */
export function objectRouteSession(
  session: Record<string, unknown>,
  options: { destroy(): unknown; hidden?: readonly string[]; read?(): Record<string, unknown> },
): RouteSession {
  const hidden = new Set(options.hidden ?? []);
  return {
    read: options.read ?? (() => Object.fromEntries(Object.entries(session).filter(([key]) => !hidden.has(key)))),
    set: (values) => Object.assign(session, values),
    del: (keys) => keys.forEach((key) => delete session[key]),
    destroy: options.destroy,
  };
}

/** The last middleware of a Koa app over the shared route; `view` is the request's session. */
export function koaRoute<C extends { url: string; status: number; type: string; body: unknown }>(
  route: SharedRoute,
  view: (ctx: C) => RouteSession,
): (ctx: C) => Promise<void> {
  return async (ctx) => {
    const reply = await route(new URL(ctx.url, 'http://app'), view(ctx));
    ctx.status = reply.status;
    ctx.type = reply.contentType;
    ctx.body = reply.body;
  };
}
