/** Real apps (express 5, express 4, connect, fastify) over one store, for the HTTP tests. */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import connect from 'connect';
import express5 from 'express';
import session, { type SessionOptions } from 'express-session';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { closeServer, listen } from '@mongo-session/test-utils';

// express 4 installed under an alias; typed like express 5 for our purposes.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const express4 = require('express4') as typeof express5;

export const PACKAGE_DIR = join(__dirname, '..');
export const SECRET = 'a secret of at least thirty-two characters!';
export type Framework = 'express5' | 'express4' | 'connect';
export const FRAMEWORKS: readonly Framework[] = ['express5', 'express4', 'connect'];

type Req = IncomingMessage & { session?: any; sessionID?: string };

/**
 * The routes every framework serves:
 *   /get        the session's data keys as JSON
 *   /set?k=v    sets keys;  /del?k  deletes a key
 *   /regen      regenerates and marks the new session
 *   /destroy    destroys the session
 *   /id         the session id
 *   /wait?ms=   sets key after a delay (for overlap tests)
 */
export function routes(req: Req, res: ServerResponse): void {
  const url = new URL(req.url ?? '/', 'http://x');
  const send = (value: unknown) => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify(value ?? null));
  };
  const data = () => {
    if (!req.session) return null;
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(req.session)) if (k !== 'cookie') out[k] = v;
    return out;
  };
  const fail = (error: unknown) => {
    res.statusCode = 500;
    send({ error: String(error) });
  };
  switch (url.pathname) {
    case '/get':
      return send(data());
    case '/set':
      for (const [k, v] of url.searchParams) req.session[k] = v;
      return send(data());
    case '/del':
      for (const k of url.searchParams.keys()) delete req.session[k];
      return send(data());
    case '/wait': {
      const ms = Number(url.searchParams.get('ms') ?? 0);
      const key = url.searchParams.get('key')!;
      setTimeout(() => {
        req.session[key] = true;
        send({ ok: true });
      }, ms);
      return;
    }
    case '/regen':
      return req.session.regenerate((error: unknown) => {
        if (error) return fail(error);
        req.session.regenerated = true;
        send({ id: req.sessionID });
      });
    case '/destroy':
      return req.session.destroy((error: unknown) => (error ? fail(error) : send({ destroyed: true })));
    case '/id':
      return send({ id: req.sessionID });
    default:
      res.statusCode = 404;
      return send({ notFound: true });
  }
}

export interface RunningApp {
  baseUrl: string;
  close(): Promise<void>;
}

/** Starts one framework's app with express-session over `store`. */
export async function startApp(framework: Framework, options: Omit<SessionOptions, 'secret'>): Promise<RunningApp> {
  const middleware = session({ secret: SECRET, resave: false, saveUninitialized: true, ...options });
  let server: Server;
  if (framework === 'connect') {
    const app = connect();
    app.use(middleware as unknown as connect.NextHandleFunction);
    app.use(routes as unknown as connect.NextHandleFunction);
    server = createServer(app);
  } else {
    const app = (framework === 'express5' ? express5 : express4)();
    app.use(middleware);
    app.use(routes as unknown as express5.RequestHandler);
    server = createServer(app);
  }
  const baseUrl = await listen(server);
  return { baseUrl, close: () => closeServer(server) };
}

/**
 * Runs a fixture script in its own `node` process inside the package dir (so
 * `@mongo-session/express` is the BUILT package); resolves once it prints
 * "listening <url>".
 */
export function spawnApp(script: string, env: Record<string, string>): Promise<RunningApp> {
  const child = spawn(process.execPath, [script], {
    cwd: PACKAGE_DIR,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${script} did not start: ${output}`)), 20_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /listening (\S+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve({
          baseUrl: match[1]!,
          close: () =>
            new Promise<void>((done) => {
              if (child.exitCode !== null) return done();
              child.once('exit', () => done());
              child.kill('SIGTERM');
            }),
        });
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${script} exited with ${code}: ${output}`));
    });
  });
}

/** fastify 5 + @fastify/session over the built store (see fixtures/fastify-app.cjs). */
export function startFastify(collection: string, uri: string, options: Record<string, unknown>): Promise<RunningApp> {
  return spawnApp(join(__dirname, 'fixtures', 'fastify-app.cjs'), {
    URI: uri,
    COLLECTION: collection,
    SESSION_OPTIONS: JSON.stringify(options),
  });
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
