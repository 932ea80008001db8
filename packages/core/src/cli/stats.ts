/** `mongo-session stats`: live, expired and revoked documents, by format and by owner, and the collection's size. */
import type { Collection, Document } from 'mongodb';
import { DEFAULTS } from '../options';
import { liveFilter } from '../revocation';
import { serverCodeOf } from '../server-codes';
import { COMMON_HELP, parseCommand, positiveInteger } from './args';
import { classify, describeKind, type DocumentKind, typedProjection } from './classify';
import { connect } from './connect';
import { formatBytes, type Io, printResult } from './output';

export const STATS_HELP = `Usage: mongo-session stats [options]

Counts the collection's documents without reading session contents: live and expired
sessions (this library's and other stores' documents), tombstones left by destroyByOwner,
the owners with the most live sessions, and the size.

Options:
  --top <n>              owners to show (default 10; 0 for none)
  --ttl-ms <ms>          lifetime of koa-session-mongo documents, which store none (default ${DEFAULTS.ttlMs})

${COMMON_HELP}`;

interface Counts {
  live: number;
  expired: number;
}

export interface StatsResult {
  collection: string;
  documents: number;
  live: number;
  expired: number;
  byFormat: Record<string, Counts>;
  tombstones: { inForce: number; expired: number };
  other: number;
  owners: { withLiveSessions: number; top: { owner: string; sessions: number }[] };
  size: { bytes: number; source: 'documents' | 'collStats' } | null;
}

export async function stats(args: readonly string[], io: Io): Promise<number> {
  const { common, values } = parseCommand(args, { top: { type: 'string' }, 'ttl-ms': { type: 'string' } });
  if (common.help) return help(io);
  const top = positiveInteger(values, 'top', 10, true);
  const ttlMs = positiveInteger(values, 'ttl-ms', DEFAULTS.ttlMs);
  const target = await connect(common, io.env);
  try {
    const col = target.collection;
    const now = Date.now();
    const result: StatsResult = {
      collection: col.collectionName,
      documents: 0,
      live: 0,
      expired: 0,
      byFormat: {},
      tombstones: { inForce: 0, expired: 0 },
      other: 0,
      owners: { withLiveSessions: 0, top: [] },
      size: null,
    };
    for await (const typed of col.aggregate(typedProjection())) {
      result.documents++;
      const { kind, expires } = classify(typed, ttlMs);
      const live = expires !== undefined && expires.getTime() > now;
      if (kind === 'tombstone') {
        result.tombstones[live ? 'inForce' : 'expired']++;
      } else if (kind === 'other' || expires === undefined) {
        result.other++;
      } else {
        const format = describeKind(kind as DocumentKind);
        result.byFormat[format] ??= { live: 0, expired: 0 };
        const counts = result.byFormat[format];
        counts[live ? 'live' : 'expired']++;
        result[live ? 'live' : 'expired']++;
      }
    }
    result.owners = await owners(col, top);
    result.size = await size(col);
    printResult(io, common.json, result, () => statsLines(result, top));
    return 0;
  } finally {
    await target.client.close();
  }
}

async function owners(col: Collection<Document>, top: number): Promise<StatsResult['owners']> {
  const match = { $match: liveFilter({ owner: { $type: 'string' } }) };
  const group = { $group: { _id: '$owner', sessions: { $sum: 1 } } };
  const [counted] = await col.aggregate([match, group, { $count: 'owners' }]).toArray();
  const rows =
    top === 0 ? [] : await col.aggregate([match, group, { $sort: { sessions: -1, _id: 1 } }, { $limit: top }]).toArray();
  return {
    withLiveSessions: typeof counted?.['owners'] === 'number' ? counted['owners'] : 0,
    top: rows.map((row) => ({ owner: String(row['_id']), sessions: Number(row['sessions']) })),
  };
}

/** The documents' BSON size where the server computes it ($bsonSize), else the server's own figure (collStats). */
async function size(col: Collection<Document>): Promise<StatsResult['size']> {
  try {
    const [row] = await col.aggregate([{ $group: { _id: null, bytes: { $sum: { $bsonSize: '$$ROOT' } } } }]).toArray();
    return { bytes: typeof row?.['bytes'] === 'number' ? row['bytes'] : 0, source: 'documents' };
  } catch (error) {
    if (serverCodeOf(error) === undefined) throw error; // not the server's answer
  }
  try {
    const collStats = await col.db.command({ collStats: col.collectionName });
    return typeof collStats['size'] === 'number' ? { bytes: collStats['size'], source: 'collStats' } : null;
  } catch (error) {
    if (serverCodeOf(error) === undefined) throw error;
    return null;
  }
}

function statsLines(result: StatsResult, top: number): string[] {
  const formats = Object.entries(result.byFormat)
    .map(([name, counts]) => `    ${name}: ${counts.live} live, ${counts.expired} expired`)
    .sort();
  const lines = [
    `collection "${result.collection}": ${result.documents} documents`,
    `  live sessions:   ${result.live}`,
    `  expired:         ${result.expired} (not removed yet)`,
    ...formats,
    `  tombstones:      ${result.tombstones.inForce} in force, ${result.tombstones.expired} expired (left by destroyByOwner)`,
    `  other documents: ${result.other} (no session shape this store reads)`,
    result.size
      ? `  size:            ${formatBytes(result.size.bytes)}${result.size.source === 'collStats' ? " (collStats: the server's own figure; it cannot size documents)" : ''}`
      : '  size:            unknown (the server computes neither $bsonSize nor collStats)',
    `  owners:          ${result.owners.withLiveSessions} with live sessions`,
  ];
  if (top > 0 && result.owners.top.length > 0) {
    lines.push(`  top ${Math.min(top, result.owners.top.length)}:`);
    for (const { owner, sessions } of result.owners.top) lines.push(`    ${owner}: ${sessions}`);
  }
  return lines;
}

function help(io: Io): number {
  io.stdout.write(`${STATS_HELP}\n`);
  return 0;
}
