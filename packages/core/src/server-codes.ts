/** The MongoDB server error codes the store acts on, by their server names. */
import type { Collection, Document } from 'mongodb';
import { OperationError } from './errors';
export const ServerCode = Object.freeze({
  BadValue: 2,
  Unauthorized: 13,
  TypeMismatch: 14,
  NamespaceNotFound: 26,
  PathNotViable: 28,
  IndexOptionsConflict: 85,
  IndexKeySpecsConflict: 86,
  CommandNotSupported: 115,
  NotImplemented: 238,
  DuplicateKey: 11000,
} as const);

/** The numeric code of a server's answer; undefined for anything else (a network failure has none). */
export function serverCodeOf(error: unknown): number | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'number' ? code : undefined;
}

/** The server's name for its error code, when it gave one. */
export function serverCodeNameOf(error: unknown): string | undefined {
  const name = (error as { codeName?: unknown } | null)?.codeName;
  return typeof name === 'string' ? name : undefined;
}

/**
 * The index a duplicate-key error names: from `keyPattern` (MongoDB 4.4+), else from the
 * message's "index: <name>" (older servers); undefined when the server says neither
 * (FerretDB 1.x), which on our writes means `_id`. Never the key's value: that is session data.
 */
export function duplicateKeyIndex(error: unknown): { name: string; onId: boolean } | undefined {
  if (serverCodeOf(error) !== ServerCode.DuplicateKey) return undefined;
  const keyPattern = (error as { keyPattern?: unknown }).keyPattern;
  if (keyPattern !== null && typeof keyPattern === 'object') {
    const fields = Object.keys(keyPattern);
    return { name: fields.map((f) => `${f}_1`).join('_'), onId: fields.length === 1 && fields[0] === '_id' };
  }
  const message = (error as { errmsg?: unknown; message?: unknown }).errmsg ?? (error as { message?: unknown }).message;
  const named = typeof message === 'string' ? /\bindex: (\S+)/.exec(message)?.[1] : undefined;
  if (named) return { name: named, onId: named === '_id_' };
  return { name: '_id_', onId: true };
}

/** A refusal by a unique index that is not ours (another session store may have left it). */
export function uniqueIndexError(name: string, collection: string): OperationError {
  return new OperationError(
    `The unique index "${name}" on collection "${collection}" refused a session write (duplicate key). ` +
      `It is not an index of this store (another session store may have left it): drop it with ` +
      `db.${collection}.dropIndex("${name}") or use another collection.`,
    ServerCode.DuplicateKey,
    'DuplicateKey',
  );
}

/** The unique-index refusal, asking the server which indexes are unique where its error names none (FerretDB 1.x). */
export async function foreignUniqueIndexError(
  col: Pick<Collection<Document>, 'listIndexes' | 'collectionName'>,
): Promise<OperationError> {
  const names = (await col.listIndexes().toArray())
    .filter((index) => index['unique'] === true && index['name'] !== '_id_')
    .map((index) => String(index['name']));
  return uniqueIndexError(names.length > 0 ? names.join('", "') : 'a unique index other than _id', col.collectionName);
}

/**
 * True for a duplicate `_id` (a concurrent insert, a tombstone). A duplicate on another
 * unique index (one left by another session store, e.g. `sid_1`) is no collision of
 * ours: silently dropping the write would lose the session, so it throws, naming the index.
 */
export function isDuplicateId(error: unknown, collection: string): boolean {
  const index = duplicateKeyIndex(error);
  if (!index) return false;
  if (index.onId) return true;
  throw uniqueIndexError(index.name, collection);
}
