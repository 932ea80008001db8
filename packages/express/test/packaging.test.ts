/**
 * The BUILT package (run `npx tsup` / `pnpm build` first): the shapes `require` and `import` give,
 * and every fenced js block of the README's Usage and Migration sections, each run in its own `node`.
 */
import { CORE_REEXPORTS, exportedNames } from '@mongo-session/test-utils/packaging';
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { testServer } from '@mongo-session/test-utils';
import { PACKAGE_DIR } from './apps';

const node = (args: string[]) => spawnSync(process.execPath, args, { cwd: PACKAGE_DIR, encoding: 'utf8', timeout: 30_000 });

it('require() gives the factory carrying MongoStore and default; the class is callable without new', () => {
  const result = node([
    '-e',
    `const f = require('@mongo-session/express'); const session = require('express-session');
     const S = f(session);
     const s = S({ uri: 'mongodb://127.0.0.1:9/x' });
     console.log(JSON.stringify([typeof f, typeof f.MongoStore, f.default === f, S === f(session),
       s instanceof S, s instanceof f.MongoStore, s instanceof session.Store, typeof f.MongoStore.create]));
     s.close();`,
  ]);
  expect(result.stderr).toBe('');
  expect(JSON.parse(result.stdout)).toEqual(['function', 'function', true, true, true, true, true, 'function']);
});

it('import() gives the factory as default and MongoStore as a named export', () => {
  const result = node([
    '--input-type=module',
    '-e',
    `import f, { MongoStore, ErrorCode } from '@mongo-session/express'; import session from 'express-session';
     console.log(JSON.stringify([typeof f, f.MongoStore === MongoStore, MongoStore.prototype instanceof session.Store,
       typeof ErrorCode.InvalidOption]));`,
  ]);
  expect(result.stderr).toBe('');
  expect(JSON.parse(result.stdout)).toEqual(['function', true, true, 'string']);
});

/** The fenced js blocks under "## Usage" and "## Migrating from ..." headings. */
function readmeBlocks(): { section: string; code: string }[] {
  const text = readFileSync(join(PACKAGE_DIR, 'README.md'), 'utf8');
  const blocks: { section: string; code: string }[] = [];
  for (const part of text.split(/^## /m).slice(1)) {
    const section = part.slice(0, part.indexOf('\n'));
    if (!/^(Usage|Migrating from)/.test(section)) continue;
    for (const match of part.matchAll(/```js\n([\s\S]*?)```/g)) blocks.push({ section, code: match[1]! });
  }
  return blocks;
}

// Prints the address of every server that starts listening, so the test can call it.
const PREAMBLE = `const __http = require('node:http'); const __listen = __http.Server.prototype.listen;
__http.Server.prototype.listen = function (...args) {
  this.once('listening', () => console.log('listening http://127.0.0.1:' + this.address().port + '/'));
  return __listen.apply(this, args);
};\n`;

const blocks = readmeBlocks();

it('the README has Usage and both migration examples', () => {
  expect(blocks.map((b) => b.section)).toEqual([
    'Usage',
    'Migrating from connect-mongodb-session',
    'Migrating from connect-mongodb-session',
    'Migrating from connect-mongo',
  ]);
});

it.each(blocks.map((b, i) => [`${b.section} #${i}`, b.code] as const))('README block %s runs', async (name, code) => {
  const server = new URL(testServer().uri);
  const base = `${server.protocol}//${server.host}`;
  const source =
    PREAMBLE +
    code.replace(/mongodb:\/\/(localhost|127\.0\.0\.1):27017/g, base).replace(/listen\(3000\)/g, 'listen(0, "127.0.0.1")');
  const expected = [...code.matchAll(/\/\/ prints: (.*)$/gm)].map((m) => m[1]!.trim());
  const file = join(PACKAGE_DIR, `readme-block-${process.pid}-${name.replace(/\W+/g, '_')}.cjs`);
  writeFileSync(file, source);
  const child = spawn(process.execPath, [file], { cwd: PACKAGE_DIR, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr.on('data', (c: Buffer) => (output += c.toString()));
  try {
    let answered: { status: number; text: string } | undefined;
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline && child.exitCode === null) {
      const url = /listening (\S+)/.exec(output)?.[1];
      if (url && !answered) {
        const res = await fetch(url);
        answered = { status: res.status, text: await res.text() };
      }
      if (answered && expected.every((line) => output.includes(line))) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    // On failure, the child's output is in the diff.
    expect({ status: answered?.status, output: answered ? '' : output }).toEqual({ status: 200, output: '' });
    for (const line of expected) expect(output).toContain(line);
  } finally {
    child.kill('SIGTERM');
    rmSync(file, { force: true });
  }
});

it("require() and import() give the same named exports, the core's error tree among them", () => {
  const { required, imported } = exportedNames(join(__dirname, '..'), '@mongo-session/express');
  expect(imported).toEqual(expect.arrayContaining([...CORE_REEXPORTS]));
  expect(required).toEqual(expect.arrayContaining(imported));
});
