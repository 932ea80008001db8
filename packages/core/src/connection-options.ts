/**
 * Every connection shape the store accepts (a URI, koa-session-mongo's url with a
 * collection path, discrete host/port/credentials, MongoSess-style servers, a client,
 * a client promise, a Db, a mongoose connection), turned into one connection input by
 * one pure function, plus the driver options old releases used.
 */
import type { Db, MongoClientOptions } from 'mongodb';
import { ConnectionString } from 'mongodb-connection-string-url';
import { InvalidOptionError, WarningCode } from './errors';
import { DEFAULTS, invalid, type ConnectionInput, type SessionStoreOptions, type StoreWarning } from './options';

/** Options that each pick the connection; exactly one group may be given. */
const CONNECTION_GROUPS: readonly (readonly (keyof SessionStoreOptions)[])[] = [
  ['uri'],
  ['url'],
  ['client'],
  ['clientPromise'],
  ['db'],
  ['mongoose'],
  ['host', 'port', 'username', 'password', 'ssl'],
  ['servers'],
];

export function resolveConnection(
  options: SessionStoreOptions<any>,
  warnings: StoreWarning[],
): { connection: ConnectionInput; databaseName: string | undefined; collection: string | undefined } {
  const dbName = typeof options.db === 'string' ? options.db : undefined;
  if (dbName !== undefined && options.databaseName !== undefined && dbName !== options.databaseName) {
    throw new InvalidOptionError('db', 'Options "db" (as a database name) and "databaseName" disagree; give only one of them.');
  }
  let databaseName = options.databaseName ?? dbName;
  let collection = options.collection;

  const present = CONNECTION_GROUPS.filter((group) =>
    group.some((name) => options[name] !== undefined && !(name === 'db' && typeof options.db === 'string')),
  );
  if (present.length === 0) {
    throw new InvalidOptionError(
      'uri',
      'No connection given. Pass exactly one of: uri, url, client, clientPromise, db (a Db), mongoose, ' +
        'host/port/username/password/ssl, servers. Example: { uri: "mongodb://127.0.0.1:27017/app" }.',
    );
  }
  if (present.length > 1) {
    const names = present.map((group) => group.filter((n) => options[n] !== undefined).join('/'));
    throw new InvalidOptionError(
      names[0]!,
      `Several connection inputs were given (${names.join(', ')}); pass exactly one of them.`,
    );
  }
  const group = present[0]![0]!;
  const clientOptions = mapLegacyClientOptions(options.connectionOptions ?? {}, 'connectionOptions', warnings);

  switch (group) {
    case 'uri':
    case 'url': {
      const raw = (group === 'uri' ? options.uri : options.url)!;
      const cs = parseConnectionString(group, raw);
      if (group === 'url') {
        // Seed koa-session-mongo: /db/collection. Split the collection off the path.
        const segments = cs.pathname
          .split('/')
          .filter(Boolean)
          .map((segment) => decodePathSegment(group, segment));
        if (segments.length > 1) {
          const fromUrl = segments.slice(1).join('/');
          if (collection !== undefined && collection !== fromUrl) {
            throw new InvalidOptionError(
              'collection',
              'Option "collection" disagrees with the collection named by the last path segment of "url"; give only one.',
            );
          }
          collection = fromUrl;
          cs.pathname = `/${encodeURIComponent(segments[0]!)}`;
        }
      }
      if (databaseName === undefined) {
        const fromPath = decodePathSegment(group, cs.pathname.replace(/^\//, ''));
        if (fromPath) databaseName = fromPath;
      }
      return {
        connection: { kind: 'uri', uri: cs.toString(), clientOptions: withSelectionTimeout(cs, clientOptions), from: group },
        databaseName,
        collection,
      };
    }
    case 'client':
      return { connection: { kind: 'client', client: options.client! }, databaseName, collection };
    case 'clientPromise': {
      const source = options.clientPromise!;
      const get = typeof source === 'function' ? source : () => source;
      return { connection: { kind: 'clientPromise', get }, databaseName, collection };
    }
    case 'db': {
      const db = options.db as Db;
      if (databaseName !== undefined && databaseName !== db.databaseName) {
        throw new InvalidOptionError('databaseName', 'Option "databaseName" cannot differ from the name of the given "db".');
      }
      return { connection: { kind: 'db', db }, databaseName: db.databaseName, collection };
    }
    case 'mongoose':
      return { connection: { kind: 'mongoose', connection: options.mongoose! }, databaseName, collection };
    case 'host': {
      const cs = new ConnectionString('mongodb://127.0.0.1');
      cs.hosts = [hostPort(options.host ?? '127.0.0.1', options.port ?? DEFAULTS.port)];
      const withAuth = { ...clientOptions };
      if (options.username !== undefined) {
        withAuth.auth = { username: options.username, password: options.password ?? '' };
      } else if (options.password !== undefined) {
        throw new InvalidOptionError('password', 'Option "password" needs "username" too.');
      }
      if (options.ssl !== undefined) withAuth.tls = options.ssl;
      return {
        connection: { kind: 'uri', uri: cs.toString(), clientOptions: withSelectionTimeout(cs, withAuth), from: 'host' },
        databaseName,
        collection,
      };
    }
    case 'servers': {
      const list = Array.isArray(options.servers) ? options.servers : [options.servers!];
      const cs = new ConnectionString('mongodb://127.0.0.1');
      cs.hosts = list.map((s) => hostPort(s.host, s.port ?? DEFAULTS.port));
      let merged: MongoClientOptions = { ...clientOptions };
      list.forEach((s, i) => {
        if (s.opts !== undefined) merged = { ...mapLegacyClientOptions(s.opts, `servers[${i}].opts`, warnings), ...merged };
      });
      return {
        connection: { kind: 'uri', uri: cs.toString(), clientOptions: withSelectionTimeout(cs, merged), from: 'servers' },
        databaseName,
        collection,
      };
    }
    default:
      throw new Error(`unreachable connection group ${group}`);
  }
}

/** A `%`-escape the driver let through but that is not valid UTF-8 (e.g. `%E0%A4%A`) is the option's fault. */
function decodePathSegment(option: string, segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new InvalidOptionError(
      option,
      `Option "${option}" has a malformed %-escape in its path; escape "%" as "%25" and non-ASCII names as UTF-8 bytes (e.g. "%C3%A9").`,
    );
  }
}

function hostPort(host: string, port: number): string {
  if (!Number.isInteger(port) || port <= 0 || port >= 65536) throw invalid('port', port, 'an integer port from 1 to 65535');
  // IPv6 literals need brackets in a host list.
  return host.includes(':') && !host.startsWith('[') ? `[${host}]:${port}` : `${host}:${port}`;
}

function parseConnectionString(option: string, raw: string): ConnectionString {
  try {
    return new ConnectionString(raw);
  } catch (error) {
    // The parser's message may quote the string (and a password in it): do not forward it.
    throw new InvalidOptionError(
      option,
      `Option "${option}" is not a valid MongoDB connection string; expected "mongodb://host:port/database" or "mongodb+srv://host/database".`,
      { cause: error instanceof Error ? new Error(error.name) : undefined },
    );
  }
}

function numberInUri(uri: string | ConnectionString, name: string): number | undefined {
  const cs = typeof uri === 'string' ? new ConnectionString(uri) : uri;
  for (const [key, value] of cs.searchParams) {
    if (key.toLowerCase() === name.toLowerCase()) return Number(value);
  }
  return undefined;
}

export function selectionTimeoutInUri(uri: string | ConnectionString): number | undefined {
  return numberInUri(uri, 'serverSelectionTimeoutMS');
}

/** Our defaults for the driver's timeouts, on clients the store creates, where neither the options nor the URI set them. */
function withSelectionTimeout(cs: ConnectionString, clientOptions: MongoClientOptions): MongoClientOptions {
  const out = { ...clientOptions };
  for (const name of ['serverSelectionTimeoutMS', 'connectTimeoutMS'] as const) {
    if (out[name] === undefined && numberInUri(cs, name) === undefined) out[name] = DEFAULTS[name];
  }
  return out;
}

/** Driver options that driver 7 refuses, from the stores we replace: mapped or dropped, with a warning. */
const LEGACY_CLIENT_OPTIONS: Readonly<Record<string, string | null>> = {
  poolSize: 'maxPoolSize',
  auto_reconnect: null,
  autoReconnect: null,
  reconnectTries: null,
  reconnectInterval: null,
  useNewUrlParser: null,
  useUnifiedTopology: null,
  bufferMaxEntries: null,
};

export function mapLegacyClientOptions(
  input: Record<string, unknown>,
  where: string,
  warnings: StoreWarning[],
): MongoClientOptions {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(input)) {
    if (!Object.hasOwn(LEGACY_CLIENT_OPTIONS, key)) {
      out[key] = value;
      continue;
    }
    const replacement = LEGACY_CLIENT_OPTIONS[key];
    if (replacement) {
      if (out[replacement] === undefined && input[replacement] === undefined) out[replacement] = value;
      warnings.push({
        code: WarningCode.LegacyOptionMapped,
        message: `${where}.${key} is a legacy driver option; it was passed to the driver as "${replacement}". Rename it to silence this warning.`,
      });
    } else {
      warnings.push({
        code: WarningCode.LegacyOptionIgnored,
        message: `${where}.${key} has no effect with MongoDB driver 6+ (it reconnects on its own) and was ignored; remove it.`,
      });
    }
  }
  return out as MongoClientOptions;
}
