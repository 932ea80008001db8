/**
 * Revocation ("log out everywhere"): `destroyByOwner` turns documents into tombstones
 * `{ _id, revoked: true, revokedAt, session: null, expires }` that live as long as the
 * revoked session could have: no write prepared before the revocation can bring it back,
 * however late it lands. Only a write that read the tombstone itself (a new log-in by a
 * browser that keeps its id) replaces it.
 *
 * Writes still filter by a plain `{ _id }`, the one filter every server (FerretDB 1.x
 * included) resolves by index, and let the update itself fail on a tombstone.
 */
import type { Collection, Document, Filter, UpdateFilter } from 'mongodb';
import type { DocumentKey, SessionDocument } from './document';
import { FLAT_PEER_DOCUMENT } from './peers';
import { ServerCode, serverCodeOf } from './server-codes';

/** Owner queries skip tombstones. */
export const NOT_REVOKED = { revoked: { $ne: true } } as const;

/**
 * Every write relative to what was read carries `$pop: { revoked: 1 }`: a no-op on a
 * live document, which has no `revoked` field, and TypeMismatch on a tombstone, whose
 * `revoked` is `true`. (A per-key `$set` under its null `session` fails with PathNotViable
 * anyway.) So a touch or write prepared before a revocation neither revives the session
 * nor stretches its tombstone.
 */
// The driver's types allow $pop on array fields only; failing on the boolean is the point.
export const REFUSE_TOMBSTONE = { $pop: { revoked: 1 } } as unknown as UpdateFilter<SessionDocument>;

/** What `destroyByOwner` sets: the body and owner go, the expiry stays. */
export function tombstoneUpdate(now: Date): UpdateFilter<SessionDocument> {
  return {
    $set: { revoked: true, revokedAt: now, session: null },
    // A koa-session-mongo `blob` would still be read by that store after switching back.
    $unset: { owner: '', blob: '' } as Record<string, ''>,
  };
}

/**
 * An update of a document read live: 0 matched when it is gone, or is a tombstone now
 * (the session was revoked after it was read).
 */
export async function updateLive(
  col: Collection<SessionDocument>,
  documentId: DocumentKey,
  update: UpdateFilter<SessionDocument>,
): Promise<number> {
  try {
    return (await col.updateOne(byKey(documentId), { ...update, ...REFUSE_TOMBSTONE })).matchedCount;
  } catch (error) {
    const code = serverCodeOf(error);
    if (code !== ServerCode.TypeMismatch && code !== ServerCode.PathNotViable) throw error;
    return 0;
  }
}

/**
 * Live sessions: not expired, not revoked. Peer documents without `expires` (their lifetime is
 * another field) are let through: decoding checks their expiry.
 */
export function liveFilter(filter: Document): Document {
  return { ...filter, $or: [{ expires: { $gt: new Date() } }, { expires: { $exists: false } }], ...NOT_REVOKED };
}

/** A tombstone still in force. */
export function liveTombstone(now: Date): Document {
  return { revoked: true, expires: { $gt: now } };
}

/** The filter for one document by `_id` (an ObjectId only for koa-generic-session-mongo's documents). */
export function byKey(documentId: DocumentKey): Filter<SessionDocument> {
  return { _id: documentId } as Filter<SessionDocument>;
}

/**
 * Revokes the documents a filter names; resolves to how many. Flat peer documents are deleted
 * instead: a tombstone would keep body keys their store still reads after switching back.
 *
 * `writesSettled`: servers without per-document isolation (FerretDB 1.x) can let a concurrent
 * write of this process put a revoked body back, so the filter is revoked again once the writes
 * in flight when revocation began, and those started during it, have settled.
 */
export async function revokeMatching(
  col: Collection<SessionDocument>,
  filter: Document,
  writesSettled?: () => Promise<unknown> | undefined,
): Promise<number> {
  const revoke = async () =>
    (await col.deleteMany({ ...filter, ...FLAT_PEER_DOCUMENT } as Filter<SessionDocument>)).deletedCount +
    (await col.updateMany(filter, tombstoneUpdate(new Date()))).modifiedCount;
  const before = writesSettled?.();
  let revoked = await revoke();
  const during = writesSettled?.();
  if (before || during) {
    await Promise.all([before, during]);
    revoked += await revoke();
  }
  return revoked;
}

/**
 * `maxSessionsPerOwner`: revokes the owner's live sessions beyond `max`, oldest first by
 * `createdAt`, never `keep` (the one just written); resolves to their ids as stored.
 */
export async function evictBeyondLimit(
  col: Collection<SessionDocument>,
  owner: string,
  keep: string,
  max: number,
): Promise<string[]> {
  const live = await col
    .find<Document>(liveFilter({ owner: { $eq: owner } }), { projection: { _id: 1, sid: 1, createdAt: 1 } })
    .sort({ createdAt: -1 })
    .toArray();
  const excess = live.filter((doc) => doc['_id'] !== keep).slice(Math.max(0, max - 1));
  if (excess.length === 0) return [];
  await revokeMatching(col, { _id: { $in: excess.map((doc) => doc['_id']) }, ...NOT_REVOKED });
  return excess.map((doc) => (typeof doc['_id'] === 'string' ? doc['_id'] : String(doc['sid'])));
}
