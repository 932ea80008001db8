/**
 * `mongo-session import --from <store>`: rewrites another store's documents into this
 * library's format in batches: what a store with `adoptPeerDocuments` does on each
 * session's next write, done now, by such a store (load, then set with the snapshot and
 * the session's own expiry), so no document format is written here.
 *
 * Resumable: only documents still in the peer's shape are candidates, so running it again
 * continues where a stopped run left off. Expired and unreadable documents are left as they are.
 */
import type { Document } from 'mongodb';
import { WarningCode } from '../errors';
import { PEER_SHAPES } from '../peers';
import { SessionStore } from '../store';
import { COMMON_HELP, parseCommand, positiveInteger, UsageError } from './args';
import { connect, WarningTally } from './connect';
import { type Io, Progress, printResult } from './output';

/** The stores whose documents import rewrites, and the shape (peers.ts) each writes. */
const SOURCES = {
  'connect-mongo': PEER_SHAPES['connect-mongo'],
  'connect-mongodb-session': PEER_SHAPES['connect-mongodb-session'],
} as const;

type Source = keyof typeof SOURCES;

/** The candidates of each shape, found by the server: no `v` (ours always have one), not a tombstone. */
const CANDIDATES: Record<(typeof SOURCES)[Source], Document> = {
  json: { v: { $exists: false }, revoked: { $exists: false }, session: { $type: 'string' } },
  bson: { v: { $exists: false }, revoked: { $exists: false }, session: { $type: 'object' } },
};

/** Sessions rewritten at once within a batch. */
const CONCURRENCY = 8;

export const IMPORT_HELP = `Usage: mongo-session import --from <store> [options]

Rewrites another session store's documents in this collection into this library's format
(what adoptPeerDocuments does on each session's next write), in batches, keeping each
session's expiry. Documents already in this format are skipped, so a stopped import
continues where it stopped when run again. Expired and unreadable documents are left
alone. Each session is rewritten whole (last writer wins, as between two requests), so a
request changing a session during its own rewrite may lose that change: run it while the
app is quiet, or accept that.

Stores:
  connect-mongo              { _id, session: "<JSON>", expires } (also encrypted with --peer-secret)
  connect-mongodb-session    { _id, session: { ... }, expires } (also connect-mongo with stringify: false)

Options:
  --from <store>         the store that wrote the documents (required)
  --peer-secret <s>      connect-mongo's crypto secret (or MONGO_SESSION_PEER_SECRET); needs
                         the kruptein package connect-mongo installs
  --owner-key <key>      set the owner field from this top-level session key (for the owner option)
  --dry-run              count what would be rewritten, write nothing
  --limit <n>            rewrite at most this many documents in this run
  --batch-size <n>       documents read per batch (default 500)
  --quiet                no progress output

${COMMON_HELP}`;

export interface ImportResult {
  from: Source;
  dryRun: boolean;
  /** Rewritten into this library's format (would be, with --dry-run). */
  imported: number;
  /** Expired: left for the TTL index or the sweep. */
  expired: number;
  /** Could not be decoded or decrypted (see the warnings on stderr), or gone meanwhile. */
  unreadable: number;
  /** Documents still in the peer's shape after this run (all of them after a dry run). */
  remaining: number;
}

export async function importSessions(args: readonly string[], io: Io): Promise<number> {
  const { common, values } = parseCommand(args, {
    from: { type: 'string' },
    'peer-secret': { type: 'string' },
    'owner-key': { type: 'string' },
    'dry-run': { type: 'boolean' },
    limit: { type: 'string' },
    'batch-size': { type: 'string' },
    quiet: { type: 'boolean' },
  });
  if (common.help) {
    io.stdout.write(`${IMPORT_HELP}\n`);
    return 0;
  }
  const from = values['from'];
  if (typeof from !== 'string' || !Object.hasOwn(SOURCES, from)) {
    throw new UsageError(`Option "--from" must be one of ${Object.keys(SOURCES).join(', ')}.`);
  }
  const source = from as Source;
  const peerSecret = (values['peer-secret'] as string | undefined) ?? io.env['MONGO_SESSION_PEER_SECRET'];
  if (peerSecret !== undefined && source !== 'connect-mongo') {
    throw new UsageError('Option "--peer-secret" is for connect-mongo\'s encrypted sessions (--from connect-mongo).');
  }
  const ownerKey = values['owner-key'] as string | undefined;
  if (ownerKey === '') throw new UsageError('Option "--owner-key" cannot be empty.');
  const dryRun = values['dry-run'] === true;
  const limit = positiveInteger(values, 'limit', Number.MAX_SAFE_INTEGER);
  const batchSize = positiveInteger(values, 'batch-size', 500);

  const target = await connect(common, io.env);
  const tally = new WarningTally();
  // A store like the app's after its last migration step; it creates no index (the app's store does).
  const store = new SessionStore({
    client: target.client,
    databaseName: target.db.databaseName,
    collection: common.collection,
    adoptPeerDocuments: true,
    autoRemove: 'disabled',
    ...(peerSecret ? { peerCrypto: { secret: peerSecret } } : {}),
    ...(ownerKey ? { owner: (session: Record<string, unknown>) => ownerOf(session, ownerKey) } : {}),
  });
  store.on('warning', tally.add);
  store.on('error', () => undefined); // each operation rejects with its own error
  try {
    await store.ready();
    const col = target.collection;
    const candidates = CANDIDATES[SOURCES[source]];
    const total = Math.min(await col.countDocuments(candidates), limit);
    const progress = new Progress(io, dryRun ? 'import (dry run)' : 'import', total, values['quiet'] === true);
    const result: ImportResult = { from: source, dryRun, imported: 0, expired: 0, unreadable: 0, remaining: 0 };
    let after: unknown;
    while (result.imported < limit) {
      // Paged by _id: documents this run leaves (expired, unreadable) are not read twice.
      const page = await col
        .find(after === undefined ? candidates : { ...candidates, _id: { $gt: after } }, {
          projection: { _id: 1, expires: 1 },
        })
        .sort({ _id: 1 })
        .limit(batchSize)
        .toArray();
      if (page.length === 0) break;
      after = page[page.length - 1]!._id;
      const now = Date.now();
      const ids: string[] = [];
      for (const doc of page) {
        if (result.imported + ids.length >= limit) break;
        const expires = doc['expires'];
        if (expires instanceof Date && expires.getTime() <= now) result.expired++;
        else if (typeof doc._id !== 'string' || !(expires instanceof Date)) result.unreadable++;
        else ids.push(doc._id);
      }
      await forEachAtMost(CONCURRENCY, ids, async (id) => {
        const loaded = await store.load(id);
        if (!loaded) {
          result.unreadable++;
          return;
        }
        if (!dryRun) {
          const { session, snapshot } = loaded;
          await store.set(id, session, { snapshot, expires: snapshot.expires });
        }
        result.imported++;
      });
      progress.update(result.imported);
    }
    progress.finish();
    result.remaining = await col.countDocuments(candidates);
    printResult(io, common.json, result, () => summary(result));
    for (const { code, count, message } of tally.entries) {
      if (code === WarningCode.TtlIndexUnavailable) continue;
      io.stderr.write(`warning: ${count} x ${code}; the first: ${message}\n`);
    }
    return 0;
  } finally {
    await store.close();
    await target.client.close();
  }
}

/** The owner for `--owner-key`: a non-empty string under that key, else none. */
function ownerOf(session: Record<string, unknown>, key: string): string | undefined {
  const value = Object.hasOwn(session, key) ? session[key] : undefined;
  return typeof value === 'string' && value.length > 0 && value.length <= 1024 ? value : undefined;
}

/** Runs `task` on every item, at most `limit` at once; rejects with the first failure once all settled. */
async function forEachAtMost<T>(limit: number, items: readonly T[], task: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async (): Promise<void> => {
    while (next < items.length && !failure) {
      const item = items[next++]!;
      try {
        await task(item);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failure) throw failure.error;
}

function summary(result: ImportResult): string[] {
  const verb = result.dryRun ? 'would rewrite' : 'rewrote';
  const lines = [
    `${verb} ${result.imported} ${result.from} session(s) into this library's format${result.dryRun ? ' (dry run: nothing written)' : ''}`,
  ];
  if (result.expired > 0) lines.push(`  ${result.expired} expired: left for the TTL index or the sweep`);
  if (result.unreadable > 0) lines.push(`  ${result.unreadable} unreadable: left as they are (see the warnings)`);
  lines.push(
    result.remaining > 0
      ? `  ${result.remaining} ${result.from} document(s) remain (run again to continue; expired or unreadable ones stay)`
      : `  no ${result.from} documents remain`,
  );
  return lines;
}
