/**
 * express 5 + express-session with its sessions in MongoDB through @mongo-session/express.
 *
 *   /                 counts your views (and says who you are)
 *   /login?user=ada   regenerates the session (a new id: no session fixation), then remembers the user
 *   /logout           destroys the session and clears the cookie
 *
 * Server: MONGODB_URI when set, else the test server resolver (mongodb-memory-server,
 * else an embedded FerretDB built with Go), which is stopped again on SIGINT / SIGTERM.
 */
import { createServer } from 'node:http';
import express from 'express';
import session from 'express-session';
import connectMongoDBSession from '@mongo-session/express';
import { exampleServer, serveExample, startExample } from '@mongo-session/test-utils/example-host';

declare module 'express-session' {
  interface SessionData {
    views: number;
    user: string;
  }
}

const COOKIE_NAME = 'example.sid';

async function main(): Promise<void> {
  const { uri, description } = await exampleServer('mongo_session_example');
  const MongoDBStore = connectMongoDBSession(session);
  const store = new MongoDBStore({ uri, collection: 'express_sessions' });
  // Connection problems are reported here; express-session skips sessions until the store reconnects.
  store.on('error', (error: Error & { code?: string }) =>
    console.error(`session store: ${error.code ?? error.name}: ${error.message}`),
  );

  const app = express();
  app.use(
    session({
      name: COOKIE_NAME,
      secret: process.env['SESSION_SECRET'] ?? 'an example secret; set SESSION_SECRET in real deployments',
      store,
      resave: false,
      saveUninitialized: false,
      cookie: { maxAge: 24 * 60 * 60 * 1000, sameSite: 'lax' },
    }),
  );
  // express-session leaves req.session unset while the store is disconnected.
  app.use((req, res, next) => {
    if (req.session) return next();
    res.status(503).type('text').send('sessions are unavailable right now (is the database reachable?)\n');
  });

  app.get('/', (req, res) => {
    req.session.views = (req.session.views ?? 0) + 1;
    res.type('text').send(`views: ${req.session.views}, user: ${req.session.user ?? '(anonymous)'}\n`);
  });

  app.get('/login', (req, res, next) => {
    const user = typeof req.query['user'] === 'string' ? req.query['user'].trim() : '';
    if (!user) {
      res.status(400).type('text').send('usage: /login?user=<name>\n');
      return;
    }
    // A new session id on login: the id an attacker may have planted before is unusable afterwards.
    req.session.regenerate((error) => {
      if (error) return next(error);
      req.session.user = user;
      res.type('text').send(`logged in as ${user}\n`);
    });
  });

  app.get('/logout', (req, res, next) => {
    req.session.destroy((error) => {
      if (error) return next(error);
      res.clearCookie(COOKIE_NAME).type('text').send('logged out\n');
    });
  });

  const server = createServer(app);
  await serveExample(server, description, () => store.close());
}

startExample(main);
