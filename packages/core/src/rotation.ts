/**
 * Rotating a session's id (at log-in, against session fixation): the body, creation time and
 * device record move to the new id; the old id is revoked in the same command that reads what
 * it last held, so a write in flight on it cannot bring it back.
 */
import type { Collection } from 'mongodb';
import { type DocumentCodec, READ_OPTIONS, type SessionDocument } from './document';
import type { SessionReader } from './reader';
import { byKey, NOT_REVOKED, tombstoneUpdate } from './revocation';
import type { SessionWriter } from './writes';

/** Moves the session of `oldId` to `newId`; false when `oldId` has no session. */
export async function rotateSession<Body extends object>(
  col: Collection<SessionDocument>,
  oldId: string,
  newId: string,
  parts: { reader: SessionReader<Body>; codec: DocumentCodec<Body>; writer: SessionWriter<Body>; destroyed(): void },
): Promise<boolean> {
  const { reader, codec, writer } = parts;
  const doc = await reader.find(col, oldId);
  const loaded = doc ? codec.decode(doc, oldId) : null;
  if (!loaded) return false;
  const { snapshot } = loaded;
  const filter = { ...byKey(snapshot.documentId), ...NOT_REVOKED };
  // Flat peer documents are deleted, not tombstoned (see revokeMatching).
  const flat = snapshot.peerShape === 'sid' || snapshot.peerShape === 'flat';
  const last = flat
    ? await col.findOneAndDelete(filter, READ_OPTIONS)
    : await col.findOneAndUpdate(filter, tombstoneUpdate(new Date()), { ...READ_OPTIONS, returnDocument: 'before' });
  const final = last ? codec.decode(last, oldId) : null;
  if (!last || !final) return false;
  parts.destroyed();
  const device = last['device'] !== null && typeof last['device'] === 'object' ? last['device'] : undefined;
  await writer.create(col, newId, final.session, codec.ownerOf(final.session), final.snapshot.expires, {
    createdAt: final.snapshot.createdAt,
    device,
  });
  return true;
}
