/**
 * The store's indexes: which it needs, creating them, and finding them missing again
 * (a server that came back empty, a dropped or restored collection).
 *
 * - `expires`: a TTL index (`autoRemove: 'native'`), or a plain one serving the sweep
 *   when the server refuses TTL indexes (FerretDB, some compatible services) or the
 *   user chose `'interval'`.
 * - `owner`: with the `owner` option, for listByOwner / destroyByOwner.
 *
 * Creating an index is idempotent, so recreating one that a concurrent store already
 * recreated costs nothing.
 */
import type { Collection, Document } from 'mongodb';
import { OperationError, WarningCode } from './errors';
import { ServerCode, serverCodeNameOf, serverCodeOf } from './server-codes';
import type { AutoRemove, StoreWarning } from './options';

/** How expired sessions are removed, once the server has had its say. */
export type ExpiryMode = 'native' | 'interval' | 'disabled';

export interface IndexPlan {
  readonly autoRemove: AutoRemove;
  readonly owner: boolean;
  readonly cleanupIntervalMs: number;
}

/** What creating the indexes came to. */
export interface IndexOutcome {
  readonly mode: ExpiryMode;
  /** A refusal other than "no TTL here" or "a conflicting index exists": the app should hear of it. */
  readonly error?: OperationError;
  readonly warnings: readonly StoreWarning[];
}

/** Server refusals that mean "no TTL indexes on this server": the sweep takes over, quietly documented. */
const TTL_REFUSED = new Set<number>([ServerCode.NotImplemented, ServerCode.CommandNotSupported]);
/**
 * Whether a refusal says "no TTL index here": the codes above, or Azure Cosmos DB's BadValue
 * for a TTL index off its `_ts` field (only the message tells it from other bad values).
 */
function refusesTtl(code: number, failure: unknown): boolean {
  if (TTL_REFUSED.has(code)) return true;
  const message = (failure as { message?: unknown } | null)?.message;
  return code === ServerCode.BadValue && typeof message === 'string' && /expireAfterSeconds/.test(message) && /_ts/.test(message);
}
/** An index on the same key with other options already exists. */
const CONFLICT = new Set<number>([ServerCode.IndexOptionsConflict, ServerCode.IndexKeySpecsConflict]);

/**
 * Creates the indexes a plan needs. Refusals are reported in the outcome, never thrown;
 * the promise rejects only when the server could not be reached (retried on reconnect).
 */
export async function createIndexes(col: Collection<any>, plan: IndexPlan, mode?: ExpiryMode): Promise<IndexOutcome> {
  const warnings: StoreWarning[] = [];
  let error: OperationError | undefined;
  const name = col.collectionName;
  /** undefined when created, else the server's refusal. */
  const attempt = async (
    key: Document,
    options: Document = {},
  ): Promise<{ code: number; codeName?: string; ttlRefused?: boolean } | undefined> => {
    try {
      await col.createIndex(key, options);
      return undefined;
    } catch (failure) {
      const code = serverCodeOf(failure);
      if (code === undefined) throw failure; // unreachable: not the server's answer
      return { code, codeName: serverCodeNameOf(failure), ttlRefused: refusesTtl(code, failure) };
    }
  };
  // The server's own message is left out: an index build's message can quote stored values.
  const refused = (key: string, { code, codeName }: { code: number; codeName?: string }): void => {
    error ??= new OperationError(
      `Error creating index { ${key}: 1 } on collection "${name}": the server refused it (code ${code}${codeName ? ` ${codeName}` : ''}). ` +
        (key === 'expires'
          ? `Expired sessions are removed by a sweep every ${plan.cleanupIntervalMs} ms instead. `
          : 'Owner queries read the whole collection until it exists. ') +
        'Grant the createIndex action (for example the readWrite role), or create it yourself.',
      code,
      codeName,
    );
  };

  if (plan.owner) {
    const refusal = await attempt({ owner: 1 });
    if (refusal && !CONFLICT.has(refusal.code)) refused('owner', refusal);
  }
  let expiry: ExpiryMode = mode ?? plan.autoRemove;
  if (expiry === 'disabled') return finish();
  if (expiry === 'native') {
    const refusal = await attempt({ expires: 1 }, { expireAfterSeconds: 0 });
    if (!refusal) return finish();
    expiry = 'interval';
    const { code } = refusal;
    if (CONFLICT.has(code)) {
      warnings.push({
        code: WarningCode.TtlIndexConflict,
        message:
          `Collection "${name}" already has an index on { expires: 1 } with other options, so no TTL index was created ` +
          'and expired sessions are removed by a periodic sweep instead. To use native expiry, run: ' +
          `db.runCommand({ collMod: "${name}", index: { keyPattern: { expires: 1 }, expireAfterSeconds: 0 } })`,
      });
      return finish();
    }
    if (refusal.ttlRefused) {
      warnings.push({
        code: WarningCode.TtlIndexUnavailable,
        message:
          `The server refused a TTL index on collection "${name}" (code ${code}); expired sessions are removed ` +
          `by a sweep every ${plan.cleanupIntervalMs} ms instead. Set autoRemove: 'interval' to silence this warning.`,
      });
    } else {
      refused('expires', refusal);
      return finish(); // the plain index would be refused the same way
    }
  }
  const refusal = await attempt({ expires: 1 });
  // An existing TTL index on the field serves the sweep just as well.
  if (refusal && !CONFLICT.has(refusal.code)) refused('expires', refusal);
  return finish();

  async function finish(): Promise<IndexOutcome> {
    if (error) {
      warnings.push({ code: WarningCode.IndexFailed, message: error.message });
    }
    for (const ttl of foreignTtlIndexes(
      await col
        .listIndexes()
        .toArray()
        .catch(() => []),
    )) {
      warnings.push({
        code: WarningCode.ForeignTtlIndex,
        message:
          `Collection "${name}" has a TTL index "${ttl.name}" on { ${ttl.field}: 1 } (left by another session store: MongoSess keeps one on ` +
          `createdAt, koa-session-mongo on updatedAt). It deletes sessions ${ttl.seconds} s after that field's date, even active ones. ` +
          `Once no store of that kind writes here (after adoptPeerDocuments), drop it: db.${name}.dropIndex("${ttl.name}")`,
      });
    }
    return { mode: expiry, error, warnings };
  }
}

/**
 * The indexes a mode needs that the collection lacks, by key (names vary by who made
 * them). A collection that does not exist lacks them all.
 */
export async function missingIndexes(col: Collection<any>, plan: IndexPlan, mode: ExpiryMode): Promise<string[]> {
  let indexes: Document[];
  try {
    indexes = await col.listIndexes().toArray();
  } catch (failure) {
    if (serverCodeOf(failure) !== ServerCode.NamespaceNotFound) throw failure;
    indexes = [];
  }
  const on = (field: string) => indexes.filter((index) => isSingleKey(index['key'], field));
  const missing: string[] = [];
  if (plan.owner && on('owner').length === 0) missing.push('owner');
  if (mode === 'native' && !on('expires').some((index) => typeof index['expireAfterSeconds'] === 'number'))
    missing.push('expires (TTL)');
  if (mode === 'interval' && on('expires').length === 0) missing.push('expires');
  return missing;
}

/** TTL indexes on a field other than our `expires`: another store's, and they delete live sessions. */
export function foreignTtlIndexes(indexes: readonly Document[]): { name: string; field: string; seconds: number }[] {
  return indexes
    .filter((index) => typeof index['expireAfterSeconds'] === 'number' && !isSingleKey(index['key'], 'expires'))
    .map((index) => ({
      name: String(index['name']),
      field: Object.keys((index['key'] as object | undefined) ?? {}).join(', '),
      seconds: index['expireAfterSeconds'] as number,
    }));
}

function isSingleKey(key: unknown, field: string): boolean {
  if (key === null || typeof key !== 'object') return false;
  const fields = Object.keys(key);
  return fields.length === 1 && fields[0] === field;
}
