/** `mongo-session list`: session ids, expiry and state; contents only with `--show-data`. */
import type { Document } from 'mongodb';
import { READ_OPTIONS } from '../document';
import { DEFAULTS } from '../options';
import { COMMON_HELP, parseCommand, positiveInteger, UsageError } from './args';
import { classify, type DocumentKind, describeKind, typedProjection } from './classify';
import { codecFor, connect, WarningTally } from './connect';
import { type Io, printResult } from './output';

export const LIST_HELP = `Usage: mongo-session list [--owner <owner>] [options]

Prints session ids (as stored: hashed with hashSessionIds), their expiry and state
(live, expired, revoked). Session contents are printed only with --show-data.

Options:
  --owner <owner>        only this owner's sessions (stores with the owner option)
  --limit <n>            at most this many (default 100; 0 for all)
  --show-data            also print each live session's contents (decoded as the store reads them)
  --peer-secret <s>      with --show-data: connect-mongo's crypto secret (or MONGO_SESSION_PEER_SECRET)

${COMMON_HELP}`;

export interface ListedSession {
  id: string;
  expires: string | null;
  state: 'live' | 'expired' | 'revoked' | 'unknown';
  format: string;
  owner?: string;
  session?: unknown;
}

export async function list(args: readonly string[], io: Io): Promise<number> {
  const { common, values } = parseCommand(args, {
    owner: { type: 'string' },
    limit: { type: 'string' },
    'show-data': { type: 'boolean' },
    'peer-secret': { type: 'string' },
  });
  if (common.help) {
    io.stdout.write(`${LIST_HELP}\n`);
    return 0;
  }
  const owner = values['owner'] as string | undefined;
  if (owner === '') throw new UsageError('Option "--owner" cannot be empty.');
  const limit = positiveInteger(values, 'limit', 100, true);
  const showData = values['show-data'] === true;
  const peerSecret = (values['peer-secret'] as string | undefined) ?? io.env['MONGO_SESSION_PEER_SECRET'];
  const target = await connect(common, io.env);
  try {
    const tally = new WarningTally();
    const codec = showData
      ? codecFor(target, common, peerSecret ? { peerCrypto: { secret: peerSecret } } : {}, tally)
      : undefined;
    const filter: Document = owner === undefined ? {} : { owner: { $eq: owner } };
    const pipeline: Document[] = [{ $match: filter }, { $sort: { _id: 1 } }];
    if (limit > 0) pipeline.push({ $limit: limit + 1 });
    const sessions: ListedSession[] = [];
    let truncated = false;
    const now = Date.now();
    for await (const typed of target.collection.aggregate([...pipeline, ...typedProjection()])) {
      if (limit > 0 && sessions.length === limit) {
        truncated = true;
        break;
      }
      const { kind, expires } = classify(typed, DEFAULTS.ttlMs);
      const id = String(typed['_id']);
      const entry: ListedSession = {
        id,
        expires: expires ? expires.toISOString() : null,
        state:
          kind === 'tombstone' ? 'revoked' : expires === undefined ? 'unknown' : expires.getTime() > now ? 'live' : 'expired',
        format: describeKind(kind as DocumentKind),
      };
      if (typeof typed['owner'] === 'string') entry.owner = typed['owner'];
      if (codec && entry.state === 'live' && typeof typed['_id'] === 'string') {
        // The whole document, read the way the store reads it.
        const doc = await target.collection.findOne({ _id: typed['_id'] as unknown as Document['_id'] }, READ_OPTIONS);
        entry.session = (doc && codec.decode(doc, id)?.session) ?? null;
      }
      sessions.push(entry);
    }
    printResult(io, common.json, { sessions, truncated }, () => {
      const lines = sessions.map((s) =>
        [s.id, s.expires ?? '-', s.state, ...(showData ? [JSON.stringify(s.session ?? null)] : [])].join('\t'),
      );
      if (sessions.length === 0) lines.push(owner === undefined ? 'no sessions' : 'no sessions for this owner');
      if (truncated) lines.push(`(first ${limit}; --limit 0 lists all)`);
      return lines;
    });
    for (const { code, count } of tally.entries) io.stderr.write(`warning: ${count} session(s) could not be read (${code})\n`);
    return 0;
  } finally {
    await target.client.close();
  }
}
