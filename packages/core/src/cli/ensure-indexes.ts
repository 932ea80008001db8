/** `mongo-session ensure-indexes`: the store's indexes, created by the store's own code (indexes.ts). */
import { WarningCode } from '../errors';
import { createIndexes, type IndexOutcome } from '../indexes';
import { type AutoRemove, DEFAULTS } from '../options';
import { COMMON_HELP, parseCommand, UsageError } from './args';
import { connect } from './connect';
import { type Io, printResult } from './output';

export const ENSURE_INDEXES_HELP = `Usage: mongo-session ensure-indexes [options]

Creates the indexes a store creates at start-up (idempotent): the TTL index on expires
and, with --owner-index, the index on owner. Servers that refuse TTL indexes (FerretDB,
some compatible services) get a plain index on expires: the store then removes expired
sessions with a sweep every cleanupIntervalMs, or run "mongo-session purge --expired".

Options:
  --auto-remove <mode>   native (TTL index, default), interval (plain index) or disabled
  --owner-index          also the index on owner (stores with the owner option)

${COMMON_HELP}`;

const MODES: readonly AutoRemove[] = ['native', 'interval', 'disabled'];

export async function ensureIndexes(args: readonly string[], io: Io): Promise<number> {
  const { common, values } = parseCommand(args, {
    'auto-remove': { type: 'string' },
    'owner-index': { type: 'boolean' },
  });
  if (common.help) {
    io.stdout.write(`${ENSURE_INDEXES_HELP}\n`);
    return 0;
  }
  const autoRemove = (values['auto-remove'] ?? DEFAULTS.autoRemove) as AutoRemove;
  if (!MODES.includes(autoRemove)) throw new UsageError(`Option "--auto-remove" must be one of ${MODES.join(', ')}.`);
  const target = await connect(common, io.env);
  try {
    const outcome = await createIndexes(target.collection, {
      autoRemove,
      owner: values['owner-index'] === true,
      cleanupIntervalMs: DEFAULTS.cleanupIntervalMs,
    });
    const ttl = ttlState(autoRemove, outcome);
    const result = {
      collection: target.collection.collectionName,
      expiry: outcome.mode,
      ttl,
      ownerIndex: values['owner-index'] === true,
      warnings: outcome.warnings.map(({ code, message }) => ({ code, message })),
      error: outcome.error ? { code: outcome.error.serverCode, message: outcome.error.message } : null,
    };
    printResult(io, common.json, result, () => lines(result.collection, ttl, result.ownerIndex, outcome));
    return outcome.error ? 1 : 0;
  } finally {
    await target.client.close();
  }
}

type TtlState = 'created' | 'refused' | 'conflict' | 'not requested' | 'failed';

function ttlState(autoRemove: AutoRemove, outcome: IndexOutcome): TtlState {
  if (autoRemove !== 'native') return 'not requested';
  if (outcome.mode === 'native') return 'created';
  if (outcome.warnings.some((w) => w.code === WarningCode.TtlIndexUnavailable)) return 'refused';
  if (outcome.warnings.some((w) => w.code === WarningCode.TtlIndexConflict)) return 'conflict';
  return 'failed';
}

function lines(collection: string, ttl: TtlState, ownerIndex: boolean, outcome: IndexOutcome): string[] {
  const out = [`collection "${collection}":`];
  if (ownerIndex && !outcome.error?.message.includes('{ owner: 1 }')) out.push('  index on owner: present');
  switch (ttl) {
    case 'created':
      out.push('  TTL index on expires: present (the server removes expired sessions)');
      break;
    case 'refused':
      out.push(
        '  TTL index on expires: REFUSED by the server (it has no TTL indexes); a plain index on expires was created.',
        '  Expired sessions are removed by the store\'s sweep every cleanupIntervalMs, or by "mongo-session purge --expired".',
      );
      break;
    case 'conflict':
      out.push('  TTL index on expires: not created, an index on expires with other options exists (see the warning below)');
      break;
    case 'not requested':
      out.push(
        outcome.mode === 'disabled' ? '  expires: no index (--auto-remove disabled)' : '  plain index on expires: present',
      );
      break;
    case 'failed':
      break;
  }
  for (const warning of outcome.warnings) {
    if (warning.code !== WarningCode.TtlIndexUnavailable) out.push(`  ${warning.code}: ${warning.message}`);
  }
  if (outcome.error) out.push(`  error: ${outcome.error.message}`);
  return out;
}
