/**
 * What kind of document each one is, decided by the store's own rules (peers.ts), from
 * the types of its body fields only: the CLI counts and lists sessions without reading
 * their contents.
 */
import type { Document } from 'mongodb';
import { peerExpiry, peerShapeOf } from '../peers';

/** Our format, a peer shape (see peers.ts), a tombstone, or none of these. */
export type DocumentKind = 'ours' | 'tombstone' | `peer:${string}` | 'other';

export interface Classified {
  readonly kind: DocumentKind;
  /** When it expires (a tombstone: when it stops being in force); undefined when unknown. */
  readonly expires: Date | undefined;
}

/** The body fields replaced by their BSON type names: the `$project` stage the CLI reads documents through. */
export const TYPED_FIELDS = ['session', 'blob', 'v'] as const;

/**
 * An aggregation stage: every field as it is but the bodies, which become their `$type`
 * (so shapes told apart by other fields are still told apart).
 */
export function typedProjection(): Document[] {
  const types: Document = {};
  for (const field of TYPED_FIELDS) types[field] = { $type: `$${field}` };
  return [{ $addFields: types }];
}

/** A stand-in value of a BSON type, enough for the shape checks of peers.ts. */
function standIn(type: unknown): unknown {
  switch (type) {
    case 'missing':
    case undefined:
      return undefined;
    case 'string':
      return '';
    case 'object':
      return {};
    case 'array':
      return [];
    case 'null':
      return null;
    default:
      return 0;
  }
}

/** Classifies a document read through {@link typedProjection}. */
export function classify(typed: Document, ttlMs: number): Classified {
  const doc: Document = { ...typed };
  for (const field of TYPED_FIELDS) doc[field] = standIn(typed[field]);
  const expires = typed['expires'] instanceof Date ? (typed['expires'] as Date) : undefined;
  if (doc['revoked'] === true) return { kind: 'tombstone', expires };
  if (doc['v'] !== undefined) return { kind: expires ? 'ours' : 'other', expires };
  const shape = peerShapeOf(doc);
  if (!shape) return { kind: 'other', expires };
  return { kind: `peer:${shape}`, expires: peerExpiry(shape, doc, ttlMs) };
}

/** People's names for the peer shapes of peers.ts. */
export function describeKind(kind: DocumentKind): string {
  switch (kind) {
    case 'ours':
      return 'mongo-session';
    case 'peer:json':
      return 'connect-mongo (JSON string)';
    case 'peer:bson':
      return 'connect-mongodb-session / connect-mongo stringify: false (BSON)';
    case 'peer:blob':
      return 'koa-session-mongo (blob)';
    default:
      return kind.startsWith('peer:') ? `another store (${kind.slice(5)})` : kind;
  }
}
