/**
 * The `mongo-session` command: administration of a session collection (stats, list,
 * purge, ensure-indexes, import). Exit codes: 0 done, 1 failed, 2 usage error.
 * Errors never print session contents or ids: the server's own messages can quote
 * stored values, so server errors are reported by code.
 */
import { UsageError } from './args';
import { ensureIndexes, ENSURE_INDEXES_HELP } from './ensure-indexes';
import { importSessions, IMPORT_HELP } from './import';
import { list, LIST_HELP } from './list';
import type { Io } from './output';
import { purge, PURGE_HELP } from './purge';
import { stats, STATS_HELP } from './stats';
import { isMongoSessionError } from '../errors';
import { serverCodeNameOf, serverCodeOf } from '../server-codes';

const COMMANDS: Record<string, { run: (args: readonly string[], io: Io) => Promise<number>; help: string }> = {
  stats: { run: stats, help: STATS_HELP },
  list: { run: list, help: LIST_HELP },
  purge: { run: purge, help: PURGE_HELP },
  'ensure-indexes': { run: ensureIndexes, help: ENSURE_INDEXES_HELP },
  import: { run: importSessions, help: IMPORT_HELP },
};

const HELP = `Usage: mongo-session <command> [options]

Administration of a MongoDB session collection written by @mongo-session/core
(and by connect-mongo / connect-mongodb-session before it).

Commands:
  stats            live, expired and revoked sessions, by format and owner; size
  list             session ids and expiry (--owner <owner>); contents only with --show-data
  purge            delete --expired, --owner <owner> or --all --yes sessions (--dry-run counts)
  ensure-indexes   create the store's indexes; says when the server refuses TTL indexes
  import           rewrite connect-mongo / connect-mongodb-session documents into this format

Connect with --uri <uri> or MONGO_SESSION_URI; --collection defaults to "sessions".
"mongo-session <command> --help" describes a command. Exit codes: 0 done, 1 failed, 2 usage error.`;

export async function main(argv: readonly string[], io: Io): Promise<number> {
  const [name, ...args] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    const about = name === 'help' && args[0] !== undefined ? COMMANDS[args[0]] : undefined;
    if (name === 'help' && args[0] !== undefined && !about) return usage(io, `Unknown command "${args[0]}".`);
    io.stdout.write(`${about?.help ?? HELP}\n`);
    return name === undefined ? 2 : 0;
  }
  const command = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (!command) return usage(io, `Unknown command "${name}".`);
  try {
    return await command.run(args, io);
  } catch (error) {
    if (error instanceof UsageError) return usage(io, error.message, name);
    io.stderr.write(`mongo-session ${name}: ${describeFailure(error)}\n`);
    return 1;
  }
}

function usage(io: Io, message: string, command?: string): number {
  io.stderr.write(`mongo-session: ${message}\nRun "mongo-session ${command ? `${command} ` : ''}--help" for usage.\n`);
  return 2;
}

/** A failure in words that hold no session data (see the module comment). */
export function describeFailure(error: unknown): string {
  if (isMongoSessionError(error)) return error.message;
  const code = serverCodeOf(error);
  if (code !== undefined) {
    const codeName = serverCodeNameOf(error);
    return `the server refused the operation (code ${code}${codeName ? ` ${codeName}` : ''}).`;
  }
  const name = error instanceof Error ? error.name : 'Error';
  // Selection and network errors name hosts and the reason, never documents.
  if (/^Mongo(ServerSelection|Network|NetworkTimeout|Topology)/.test(name)) {
    return `could not reach the server (${name}: ${(error as Error).message})`;
  }
  return `failed (${name}).`;
}
