/**
 * The README Options tables are rendered from the core's option table (packages/core/src/options.ts,
 * by scripts/options-table.mjs): each rendered table must be exactly what the table renders, so a
 * README cannot drift from the code. The core README shows every core option that way; each
 * adapter shows the core options it passes through that way, and documents by hand only its
 * framework's options and the core options its seed gives another meaning (its `except` list).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULTS, OPTION_NAMES } from '@mongo-session/core';
import { optionsBlocks, renderOptionsTable, shownDefault, updateOptionsBlocks } from '../../core/src/options-table';

const ROOT = join(__dirname, '..', '..', '..');
const ADAPTERS = ['express', 'koa', 'koa-generic-session', 'koa-session-store', 'standalone'] as const;
/** Core options an adapter does not take under the core's name (its seed's option replaces it). */
const REPLACED: Readonly<Record<(typeof ADAPTERS)[number], readonly string[]>> = {
  express: [],
  koa: [],
  'koa-generic-session': [],
  // koa-session-mongo's `expirationTime` (seconds) is the lifetime; koa-session-store hands over JSON.
  'koa-session-store': ['ttlMs', 'serializer'],
  // MongoSess's `expires` is the lifetime.
  standalone: ['ttlMs'],
};
const CORE_NAMES: readonly string[] = OPTION_NAMES;
const FIX = 'Run `node scripts/options-table.mjs` to render it again from packages/core/src/options.ts.';

function readme(pkg: string): string {
  return readFileSync(join(ROOT, 'packages', pkg, 'README.md'), 'utf8');
}

function optionsSection(pkg: string): string {
  const section = readme(pkg)
    .split(/^## /m)
    .find((part) => part.startsWith('Options'));
  if (!section) throw new Error(`packages/${pkg}/README.md has no "## Options" section`);
  return section;
}

/** The backticked names in the first column of the tables in `markdown`. */
function tableNames(markdown: string): Set<string> {
  const names = new Set<string>();
  for (const line of markdown.split('\n')) {
    if (!line.startsWith('|') || /^\|\s*-/.test(line)) continue;
    const firstCell = line.split('|')[1] ?? '';
    for (const match of firstCell.matchAll(/`([A-Za-z_][\w.]*)`/g)) names.add(match[1]!);
  }
  return names;
}

/** The Options section's one rendered table, checked against what the option table renders. */
function renderedBlock(pkg: string, linkBase: string) {
  const blocks = optionsBlocks(optionsSection(pkg), linkBase);
  expect(blocks).toHaveLength(1);
  const [block] = blocks;
  if (block!.actual !== block!.expected) {
    // The diff shows the rows that drifted; the message says how to fix it.
    expect(`${block!.actual}\n${FIX}`).toBe(`${block!.expected}\n${FIX}`);
  }
  return block!;
}

/** The tables written by hand: the section without its rendered table. */
function handWritten(pkg: string, linkBase: string): string {
  const section = optionsSection(pkg);
  const { actual } = optionsBlocks(section, linkBase)[0]!;
  return section.replace(actual, '\n');
}

describe('the core README', () => {
  it('shows every core option exactly as the option table renders it', () => {
    const block = renderedBlock('core', '');
    expect(block.except).toEqual([]);
    expect([...tableNames(optionsSection('core'))]).toEqual([...CORE_NAMES]);
  });
});

describe.each(ADAPTERS)('the %s README', (pkg) => {
  const linkBase = '../core/README.md';

  it('shows the core options it passes through exactly as the option table renders them', () => {
    const block = renderedBlock(pkg, linkBase);
    // Options its seed replaces are never shown under the core's name.
    expect(REPLACED[pkg].filter((name) => !block.except.includes(name))).toEqual([]);
  });

  it('documents by hand only the core options it leaves out of the rendered table, and each of those', () => {
    const { except } = optionsBlocks(optionsSection(pkg), linkBase)[0]!;
    const byHand = tableNames(handWritten(pkg, linkBase));
    // A core option in both tables would be written twice.
    expect([...byHand].filter((name) => CORE_NAMES.includes(name) && !except.includes(name))).toEqual([]);
    // A core option left out is documented by hand, unless its seed's option replaces it.
    expect(except.filter((name) => !byHand.has(name) && !REPLACED[pkg].includes(name))).toEqual([]);
  });
});

describe('the rendering', () => {
  it('notices a README row that differs from the option table, and renders it back', () => {
    const text = readme('core');
    const drifted = text.replace(/^\| `ttlMs` \| number \(ms\) \| 14 days \|/m, '| `ttlMs` | number (ms) | 7 days |');
    expect(drifted).not.toBe(text);
    const [block] = optionsBlocks(drifted, '');
    expect(block!.actual).not.toBe(block!.expected);
    expect(updateOptionsBlocks(drifted, '')).toBe(text);
  });

  it('shows constant defaults from the values resolveOptions uses', () => {
    expect(DEFAULTS.ttlMs).toBe(14 * 24 * 60 * 60 * 1000);
    expect(shownDefault('ttlMs')).toBe('14 days');
    expect(DEFAULTS.cleanupIntervalMs).toBe(10 * 60 * 1000);
    expect(shownDefault('cleanupIntervalMs')).toBe('10 minutes');
    expect(shownDefault('collection')).toBe(`\`'${DEFAULTS.collection}'\``);
    expect(shownDefault('maxPendingOperations')).toBe(`\`${DEFAULTS.maxPendingOperations}\``);
    expect(shownDefault('adoptPeerDocuments')).toBe('`false`');
    expect(shownDefault('uri')).toBe('—');
  });

  it('leaves out the names asked, keeps the order of the option table, and points links at the core README', () => {
    const table = renderOptionsTable({ except: ['ttlMs', 'crypto'], linkBase: '../core/README.md' });
    expect([...tableNames(table)]).toEqual(CORE_NAMES.filter((name) => name !== 'ttlMs' && name !== 'crypto'));
    expect(table).toContain('[Security](../core/README.md#security)');
    expect(table).not.toContain('](#');
    expect(() => renderOptionsTable({ except: ['expirationTime'] })).toThrow('Not core options: expirationTime');
  });
});
