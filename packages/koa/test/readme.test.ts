/**
 * The README's Usage and Migration examples, run as written against the BUILT
 * package in a child node process: the connection string points at the test
 * server, the port is 0, and the test sends real HTTP requests before stopping it.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { CookieClient, testUri, uniqueDatabaseName } from '@mongo-session/test-utils';

const packageDir = resolve(__dirname, '..');
const readme = readFileSync(resolve(packageDir, 'README.md'), 'utf8');

function blocks(sectionPrefix: string): string[] {
  const section = readme.split(/^## /m).find((s) => s.startsWith(sectionPrefix));
  if (!section) throw new Error(`README has no "## ${sectionPrefix}" section`);
  return [...section.matchAll(/```js\n([\s\S]*?)```/g)].map((m) => m[1]!);
}

async function runExample(source: string): Promise<string[]> {
  const code = source
    .replace(/mongodb:\/\/(?:localhost|127\.0\.0\.1):27017\/(\w+)/g, () => testUri(uniqueDatabaseName('koa_readme')))
    .replace(/\.listen\(3000\)/g, '.listen(0)');
  const module = /^import /m.test(code);
  const args = [
    '--require',
    resolve(__dirname, 'fixtures/report-listen.cjs'),
    ...(module ? ['--input-type=module'] : []),
    '-e',
    code,
  ];
  const child = spawn(process.execPath, args, { cwd: packageDir, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  try {
    const port = await new Promise<number>((done, fail) => {
      const timer = setTimeout(() => fail(new Error(`example did not listen in 20 s; stderr: ${stderr}`)), 20_000);
      let out = '';
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        const match = /LISTENING (\d+)/.exec(out);
        if (match) {
          clearTimeout(timer);
          done(Number(match[1]));
        }
      });
      child.once('exit', (code) => fail(new Error(`example exited (${code}) before listening; stderr: ${stderr}`)));
    });
    const client = new CookieClient(`http://127.0.0.1:${port}/`);
    const answers: string[] = [];
    for (let i = 0; i < 2; i++) {
      const response = await client.get('/');
      expect(response.status).toBe(200);
      answers.push(response.text);
    }
    return answers;
  } finally {
    child.kill();
    await exited;
  }
}

describe('README examples', () => {
  it('Usage: a session counts views across requests', async () => {
    const [usage] = blocks('Usage');
    expect(usage).toBeDefined();
    expect(await runExample(usage!)).toEqual(['views: 1', 'views: 2']);
  });

  it('Migrating: the koa-redis replacement works as written', async () => {
    const found = blocks('Migrating');
    expect(found).toHaveLength(1);
    expect(await runExample(found[0]!)).toEqual(['1', '2']);
  });
});
