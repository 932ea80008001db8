/**
 * Every README's options table lists every option the core takes (the core's exactly),
 * so an option added to the code cannot go undocumented.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { OPTION_NAMES } from '@mongo-session/core';

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

/** The backticked names in the first column of the tables under "## Options". */
function documentedOptions(pkg: string): Set<string> {
  const text = readFileSync(join(ROOT, 'packages', pkg, 'README.md'), 'utf8');
  const section = text.split(/^## /m).find((part) => part.startsWith('Options'));
  if (!section) throw new Error(`packages/${pkg}/README.md has no "## Options" section`);
  const names = new Set<string>();
  for (const line of section.split('\n')) {
    if (!line.startsWith('|') || /^\|\s*-/.test(line)) continue;
    const firstCell = line.split('|')[1] ?? '';
    for (const match of firstCell.matchAll(/`([A-Za-z_][\w.]*)`/g)) names.add(match[1]!);
  }
  return names;
}

it('the core README lists exactly the core options', () => {
  const documented = documentedOptions('core');
  expect([...OPTION_NAMES].filter((name) => !documented.has(name))).toEqual([]);
  expect([...documented].filter((name) => !(OPTION_NAMES as readonly string[]).includes(name))).toEqual([]);
});

it.each(ADAPTERS)('the %s README lists every core option it passes through', (pkg) => {
  const documented = documentedOptions(pkg);
  const missing = [...OPTION_NAMES].filter((name) => !documented.has(name) && !REPLACED[pkg].includes(name));
  expect(missing).toEqual([]);
});
