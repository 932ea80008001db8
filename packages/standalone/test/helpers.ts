/** A small plain-http app exposing every session method, in promise or callback form, by path. */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import MongoSess, { type Session, type SessionOptions } from '@mongo-session/standalone';

type Style = 'promise' | 'callback';

/** Calls a session method in callback form and turns the callback into a promise. */
function viaCallback<T>(call: (cb: (error: Error | null, result?: T) => void) => unknown): Promise<T | undefined> {
  return new Promise((resolve, reject) => {
    call((error, result) => (error ? reject(error) : resolve(result)));
  });
}

async function act(session: Session, url: URL, style: Style, res: ServerResponse): Promise<unknown> {
  const arg = url.searchParams.get('v');
  const cb = style === 'callback';
  switch (url.pathname) {
    case '/set': {
      const values = JSON.parse(arg ?? '{}') as Record<string, unknown>;
      return cb ? viaCallback((c) => session.set(values, c)) : session.set(values);
    }
    case '/get':
      if (arg === null) return cb ? viaCallback((c) => session.get(c)) : session.get();
      return cb ? viaCallback((c) => session.get(arg, c)) : session.get(arg);
    case '/del': {
      const keys = (arg ?? '').split(',');
      return cb ? viaCallback((c) => session.del(...keys, c)) : session.del(...keys);
    }
    case '/end':
      return cb ? viaCallback((c) => session.end(c)) : session.end();
    case '/regenerate':
      return cb ? viaCallback((c) => session.regenerate(c)) : session.regenerate();
    case '/login': {
      // The README's log-in: a new id first, then the user.
      const user = { user: arg ?? 'someone' };
      if (cb) return viaCallback((c) => session.regenerate((error) => (error ? c(error) : session.set(user, c))));
      await session.regenerate();
      return session.set(user);
    }
    case '/expire':
      session.expire();
      return null;
    case '/set-after-headers': {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.flushHeaders();
      try {
        await session.set({ late: true });
        res.end(JSON.stringify({ ok: true }));
      } catch (error) {
        res.end(JSON.stringify({ error: (error as { code?: string }).code }));
      }
      return undefined;
    }
    default:
      return { id: session.id ?? null };
  }
}

export function sessionApp(options: SessionOptions = {}, style: Style = 'promise'): Server {
  return createServer((req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    let session: Session;
    try {
      session = MongoSess(req, res, options);
    } catch (error) {
      res.writeHead(500).end(JSON.stringify({ error: (error as Error).message }));
      return;
    }
    act(session, url, style, res).then(
      (result) => {
        if (res.writableEnded) return;
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ result: result === undefined ? '__undefined' : result, id: session.id ?? null }));
      },
      (error: { code?: string; message?: string }) => {
        if (res.headersSent) return void res.end();
        const status = error.code === 'MONGO_SESSION_CONNECTION' ? 503 : 500;
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: error.code ?? 'unknown', message: error.message }));
      },
    );
  });
}

export interface Answer {
  result?: unknown;
  id?: string | null;
  error?: string;
  message?: string;
}

export const q = (path: string, value?: unknown): string =>
  value === undefined ? path : `${path}?v=${encodeURIComponent(typeof value === 'string' ? value : JSON.stringify(value))}`;
