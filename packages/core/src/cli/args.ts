/**
 * Command-line arguments: `node:util` parseArgs with the options every command shares,
 * and the usage errors (exit code 2) a mistyped command line gets.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { DEFAULTS } from '../options';

/** A command line the CLI cannot act on: exit code 2, with the command's usage. */
export class UsageError extends Error {
  override get name(): string {
    return 'UsageError';
  }
}

type OptionSpecs = NonNullable<ParseArgsConfig['options']>;

/** Options every command takes. */
export const COMMON_OPTIONS = {
  uri: { type: 'string' },
  db: { type: 'string' },
  collection: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies OptionSpecs;

export const COMMON_HELP = `Connection and output (every command):
  --uri <uri>            connection string (default: the MONGO_SESSION_URI environment variable)
  --db <name>            database (default: the connection string's, else "test")
  --collection <name>    collection (default: "${DEFAULTS.collection}")
  --json                 print one JSON object on stdout, for scripts
  -h, --help             this help`;

export interface CommonArgs {
  uri: string | undefined;
  db: string | undefined;
  collection: string;
  json: boolean;
  help: boolean;
}

/** Parses one command's arguments; unknown options and stray positionals are usage errors. */
export function parseCommand<const Options extends OptionSpecs>(
  args: readonly string[],
  options: Options,
): { common: CommonArgs; values: Record<string, string | boolean | undefined> } {
  let values: Record<string, string | boolean | (string | boolean)[] | undefined>;
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: [...args],
      options: { ...COMMON_OPTIONS, ...options },
      allowPositionals: true,
      strict: true,
    }));
  } catch (error) {
    // parseArgs' messages name the option at fault (never a value worth hiding).
    throw new UsageError(error instanceof Error ? error.message.split('\n')[0]! : 'Invalid arguments.');
  }
  if (positionals.length > 0 && values['help'] !== true) {
    throw new UsageError(`Unexpected argument: ${JSON.stringify(positionals[0])}.`);
  }
  const common: CommonArgs = {
    uri: stringValue(values['uri']),
    db: stringValue(values['db']),
    collection: stringValue(values['collection']) ?? DEFAULTS.collection,
    json: values['json'] === true,
    help: values['help'] === true,
  };
  if (common.collection === '') throw new UsageError('Option "--collection" cannot be empty.');
  return { common, values: values as Record<string, string | boolean | undefined> };
}

function stringValue(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/** A positive integer option, or its default. */
export function positiveInteger(values: Record<string, unknown>, name: string, fallback: number, allowZero = false): number {
  const raw = values[name];
  if (raw === undefined) return fallback;
  const parsed = typeof raw === 'string' && /^\d+$/.test(raw) ? Number(raw) : Number.NaN;
  if (!Number.isSafeInteger(parsed) || (!allowZero && parsed === 0)) {
    throw new UsageError(`Option "--${name}" must be a ${allowZero ? 'non-negative' : 'positive'} integer.`);
  }
  return parsed;
}
