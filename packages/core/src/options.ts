/**
 * Every option of the core store, resolved once: the types (option-types.ts) and one
 * descriptor per option (option-descriptors.ts) give the checks, defaults and names here.
 * Adapters map the names the stores they replace used onto these and nothing else.
 */
import { resolveConnection, selectionTimeoutInUri } from './connection-options';
import { InvalidOptionError, describeValue } from './errors';
import { DEFAULTS, OPTIONS, OPTION_NAMES, invalid, type OptionDescriptor } from './option-descriptors';
import type { ResolvedOptions, SessionStoreOptions, StoreWarning } from './option-types';

export * from './option-types';
export {
  DEFAULTS,
  OPTIONS,
  OPTION_NAMES,
  defaultTouchAfterMs,
  invalid,
  showMs,
  type OptionDescriptor,
  type OptionDoc,
} from './option-descriptors';

/** The options resolveOptions copies (with their defaults) into ResolvedOptions: all but the connection inputs. */
type ResolvedByTable = {
  [K in keyof typeof OPTIONS]: (typeof OPTIONS)[K] extends { readonly connection: true } ? never : K;
}[keyof typeof OPTIONS];
// Each such option has its field in ResolvedOptions, and ResolvedOptions has no other field the table does not give.
const _resolvedFieldsMatch: [
  Exclude<ResolvedByTable, keyof ResolvedOptions>,
  Exclude<keyof ResolvedOptions, ResolvedByTable | 'connection' | 'selectionTimeoutMs' | 'warnings'>,
] extends [never, never]
  ? true
  : false = true;
void _resolvedFieldsMatch;

/** The table's descriptors, seen without their per-option value types. */
type AnyDescriptor = OptionDescriptor<unknown>;

/**
 * Validates and resolves options. Throws InvalidOptionError synchronously,
 * naming the option, what was received (described, never printed) and what
 * was expected.
 */
export function resolveOptions<Body>(options: SessionStoreOptions<Body> | undefined): ResolvedOptions<Body> {
  if (options === undefined || options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new InvalidOptionError('options', `Store options must be an object; received ${describeValue(options)}.`);
  }
  const given = options as Record<string, unknown>;
  for (const name of Object.keys(given)) {
    // Own names only: `constructor` or `toString` are not options.
    if (!Object.hasOwn(OPTIONS, name)) {
      throw new InvalidOptionError(name, `Unknown option "${name}". Known options: ${OPTION_NAMES.join(', ')}.`);
    }
    const value = given[name];
    if (value === undefined) continue;
    const expected = (OPTIONS[name as keyof SessionStoreOptions] as AnyDescriptor).check(value, name);
    if (typeof expected === 'object') throw new InvalidOptionError(name, expected.message);
    if (expected !== undefined) throw invalid(name, value, expected);
  }

  for (const needsOwner of ['anonymousTtlMs', 'maxSessionsPerOwner'] as const) {
    if (given[needsOwner] !== undefined && given['owner'] === undefined) {
      throw new InvalidOptionError(
        needsOwner,
        `Option "${needsOwner}" needs the "owner" option: it applies to sessions by whether and to whom they belong.`,
      );
    }
  }

  const warnings: StoreWarning[] = [];
  const serverSelectionTimeoutMS =
    readNumber(options.connectionOptions?.serverSelectionTimeoutMS) ?? DEFAULTS.serverSelectionTimeoutMS;
  const { connection, databaseName, collection } = resolveConnection(options, warnings);
  const selectionTimeoutMs =
    connection.kind === 'uri'
      ? (connection.clientOptions.serverSelectionTimeoutMS ?? selectionTimeoutInUri(connection.uri) ?? serverSelectionTimeoutMS)
      : serverSelectionTimeoutMS;

  // The connection resolved where the data lives (a legacy url may name the collection).
  const source: Record<string, unknown> = { ...given, databaseName, collection };
  const resolved: Record<string, unknown> = { connection, selectionTimeoutMs };
  for (const name of OPTION_NAMES) {
    const option = OPTIONS[name] as AnyDescriptor;
    if (option.connection) continue;
    const value = source[name] ?? option.default ?? option.derive?.(resolved as unknown as ResolvedOptions);
    resolved[name] = value !== undefined && option.resolve ? option.resolve(value) : value;
  }
  resolved.warnings = warnings;
  return resolved as unknown as ResolvedOptions<Body>;
}

function readNumber(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}
