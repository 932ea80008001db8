/** The CLI's connection: one client for the command, from `--uri` or MONGO_SESSION_URI. */
import { type Collection, type Db, type Document, MongoClient, type MongoClientOptions } from 'mongodb';
import { DocumentCodec } from '../document';
import { DEFAULTS, resolveOptions, type SessionData, type SessionStoreOptions, type StoreWarning } from '../options';
import { type CommonArgs, UsageError } from './args';

export const URI_ENV = 'MONGO_SESSION_URI';

export interface Target {
  readonly client: MongoClient;
  readonly db: Db;
  readonly collection: Collection<Document>;
}

/** Connects (failing within the store's default selection timeout); the caller closes `client`. */
export async function connect(common: CommonArgs, env: NodeJS.ProcessEnv): Promise<Target> {
  const uri = common.uri ?? env[URI_ENV];
  if (uri === undefined || uri === '') throw new UsageError(`No connection string: pass --uri or set ${URI_ENV}.`);
  let client: MongoClient;
  try {
    client = new MongoClient(uri, timeoutsNotIn(uri));
  } catch {
    // The parser's message can quote the string, credentials included.
    throw new UsageError('The connection string is not a valid mongodb:// or mongodb+srv:// URI.');
  }
  try {
    await client.connect();
  } catch (error) {
    await client.close().catch(() => undefined);
    throw error;
  }
  const db = client.db(common.db);
  return { client, db, collection: db.collection(common.collection) };
}

/** The store's defaults for the driver's timeouts (its 30 s would make a typo wait that long), unless the URI sets them. */
function timeoutsNotIn(uri: string): MongoClientOptions {
  const query = (uri.split('?')[1] ?? '').toLowerCase();
  const options: MongoClientOptions = {};
  if (!query.includes('serverselectiontimeoutms=')) options.serverSelectionTimeoutMS = DEFAULTS.serverSelectionTimeoutMS;
  if (!query.includes('connecttimeoutms=')) options.connectTimeoutMS = DEFAULTS.connectTimeoutMS;
  return options;
}

/** Warnings counted by code (their messages never hold session data, but one line per code is enough). */
export class WarningTally {
  readonly #byCode = new Map<string, { count: number; message: string }>();

  add = (warning: StoreWarning): void => {
    const seen = this.#byCode.get(warning.code);
    if (seen) seen.count++;
    else this.#byCode.set(warning.code, { count: 1, message: warning.message });
  };

  get entries(): { code: string; count: number; message: string }[] {
    return [...this.#byCode].map(([code, { count, message }]) => ({ code, count, message }));
  }
}

/**
 * The store's own document codec for this collection, so the CLI reads and writes
 * sessions exactly as the store does (peer shapes, connect-mongo's encryption, our format).
 */
export function codecFor(
  target: Target,
  common: CommonArgs,
  extra: Pick<SessionStoreOptions, 'peerCrypto' | 'owner' | 'ttlMs'>,
  tally: WarningTally,
): DocumentCodec<SessionData> {
  const options = resolveOptions<SessionData>({
    client: target.client,
    databaseName: target.db.databaseName,
    collection: common.collection,
    adoptPeerDocuments: true,
    ...extra,
  });
  return new DocumentCodec(options, tally.add);
}
