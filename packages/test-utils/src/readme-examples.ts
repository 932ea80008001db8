/**
 * The README example runner: extracts the ```js / ```cjs / ```mjs / ```ts blocks of a markdown file
 * and runs each as written in a child `node`, inside the directory of the package it imports (so
 * `@mongo-session/<name>` resolves to that package's BUILT entry points through "exports", and the
 * frameworks to that package's dev dependencies).
 *
 * - JavaScript blocks run as ESM when they have a static `import` / `export`, else as CommonJS.
 * - TypeScript blocks are typechecked as ESM under `module: nodenext` (strict), then their types
 *   are stripped and they run as ESM.
 * - A block preceded by `<!-- fragment -->` is only typechecked (TypeScript) or parsed (`node --check`).
 *
 * The only changes made to a block (see {@link substituteExample}): the MongoDB address, the
 * database name and the HTTP port. A server that starts listening is reported by a preloaded
 * hook (report-listen.cjs), visited with real HTTP requests, then stopped with SIGTERM.
 */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { uniqueDatabaseName } from './server';

// Jest runs this file as CommonJS; tsx would run it as ESM.
const HERE = typeof __dirname === 'string' ? __dirname : dirname(fileURLToPath(import.meta.url));
/** The monorepo root. */
export const REPO_ROOT = resolve(HERE, '..', '..', '..');
const PRELOAD = join(HERE, 'report-listen.cjs');

export type ExampleLanguage = 'js' | 'cjs' | 'mjs' | 'ts';

export interface CodeBlock {
  /** Path of the markdown file, relative to the repository root. */
  file: string;
  /** 1-based line of the opening fence. */
  line: number;
  language: ExampleLanguage;
  /** The nearest heading above the block, without the #s. */
  heading: string;
  /** Position among the runnable blocks under the same heading (0-based). */
  index: number;
  code: string;
  /** Marked `<!-- fragment -->`: typechecked or parsed, never run. */
  fragment: boolean;
}

/** `file § heading #index`: how tests and failure messages name a block. */
export function blockName(block: CodeBlock): string {
  return `${block.file} § ${block.heading} #${block.index}`;
}

const FENCE = /^```([\w-]*)\s*$/;
const LANGUAGES = new Set<string>(['js', 'cjs', 'mjs', 'ts']);

/** Every ```js / cjs / mjs / ts block of a markdown file, in order. */
export function codeBlocks(markdownFile: string): CodeBlock[] {
  const lines = readFileSync(markdownFile, 'utf8').split('\n');
  const file = relative(REPO_ROOT, markdownFile);
  const blocks: CodeBlock[] = [];
  const perHeading = new Map<string, number>();
  let heading = '';
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const heads = /^#{1,6}\s+(.*)$/.exec(line);
    if (heads) {
      heading = heads[1]!.trim();
      continue;
    }
    const open = FENCE.exec(line);
    if (!open) continue;
    const end = lines.findIndex((l, j) => j > i && /^```\s*$/.test(l));
    if (end < 0) throw new Error(`${file}:${i + 1}: the code block is never closed`);
    const language = open[1]!;
    if (LANGUAGES.has(language)) {
      let previous = i - 1;
      while (previous >= 0 && lines[previous]!.trim() === '') previous--;
      const index = perHeading.get(heading) ?? 0;
      perHeading.set(heading, index + 1);
      blocks.push({
        file,
        line: i + 1,
        language: language as ExampleLanguage,
        heading,
        index,
        code: `${lines.slice(i + 1, end).join('\n')}\n`,
        fragment: previous >= 0 && /^<!--\s*fragment\s*-->$/.test(lines[previous]!.trim()),
      });
    }
    i = end;
  }
  return blocks;
}

/** README.md and packages/<name>/README.md, relative to the repository root. */
export function readmeFiles(): string[] {
  const packages = readdirSync(join(REPO_ROOT, 'packages'))
    .sort()
    .map((name) => join('packages', name, 'README.md'))
    .filter((path) => existsSync(join(REPO_ROOT, path)));
  return ['README.md', ...packages];
}

/** How a block runs: TypeScript, or JavaScript as ESM (static import/export) or CommonJS. */
export function moduleKind(block: Pick<CodeBlock, 'language' | 'code'>): 'ts' | 'esm' | 'cjs' {
  if (block.language === 'ts') return 'ts';
  if (block.language === 'mjs') return 'esm';
  if (block.language === 'cjs') return 'cjs';
  return /^\s*(?:import\s*[\w{*'"]|export\s)/m.test(block.code) ? 'esm' : 'cjs';
}

/**
 * The package whose directory the block runs in: the first `@mongo-session/<name>` it imports,
 * else (a fragment using no import) the package whose README holds it.
 */
export function packageDirOf(block: Pick<CodeBlock, 'code' | 'file'>): string {
  const name = /['"]@mongo-session\/([\w-]+)['"]/.exec(block.code)?.[1] ?? /^packages\/([\w-]+)\//.exec(block.file)?.[1];
  if (!name) throw new Error(`${block.file}: the example imports no @mongo-session package`);
  const dir = join(REPO_ROOT, 'packages', name);
  if (!existsSync(join(dir, 'package.json'))) throw new Error(`${block.file}: no package @mongo-session/${name}`);
  return dir;
}

/**
 * The substitutions, and the only ones:
 * 1. `mongodb://localhost:27017/<db>...` (or 127.0.0.1): the test server's scheme, credentials,
 *    host and port, and a database of this run's own named after `<db>` (the rest of the path,
 *    e.g. a collection, and any query string stay);
 * 2. `host: 'localhost', port: 27017` (or 127.0.0.1): the test server's host and port;
 * 3. `.listen(<port>` and `.listen({ port: <port>`: port 0 (a free port, reported by the preload).
 */
export function substituteExample(code: string, serverUri: string): string {
  const server = new URL(serverUri);
  const credentials = server.username ? `${server.username}:${server.password}@` : '';
  const names = new Map<string, string>();
  const database = (name: string) => {
    if (!names.has(name)) names.set(name, uniqueDatabaseName(`readme_${name}`));
    return names.get(name)!;
  };
  return code
    .replace(
      /mongodb:\/\/(?:localhost|127\.0\.0\.1):27017(?:\/(\w+))?([\w/]*)(\?[^'"`\s]*)?/g,
      (_m, db: string | undefined, rest: string, query: string | undefined) =>
        `${server.protocol}//${credentials}${server.host}/${database(db ?? 'test')}${rest}${query ?? server.search}`,
    )
    .replace(
      /host: '(?:localhost|127\.0\.0\.1)', port: 27017\b/g,
      () => `host: '${server.hostname}', port: ${server.port || 27017}`,
    )
    .replace(/\.listen\(\d+/g, '.listen(0')
    .replace(/\.listen\(\{(\s*)port: \d+/g, '.listen({$1port: 0');
}

/** The `// prints: <text>` comments of a block: text the run must write to stdout or stderr. */
export function expectedPrints(code: string): string[] {
  return [...code.matchAll(/\/\/ prints: (.*)$/gm)].map((m) => m[1]!.trim());
}

const TS_OPTIONS: ts.CompilerOptions = {
  module: ts.ModuleKind.NodeNext,
  moduleResolution: ts.ModuleResolutionKind.NodeNext,
  target: ts.ScriptTarget.ES2022,
  lib: ['lib.es2023.d.ts'],
  strict: true,
  noEmit: true,
  skipLibCheck: true,
  types: ['node'],
};

/** Typechecks one `.mts` file as ESM under `module: nodenext`; resolves the diagnostics, formatted. */
export function typecheck(file: string): string[] {
  const program = ts.createProgram([file], TS_OPTIONS);
  return ts.getPreEmitDiagnostics(program).map((d) => {
    const text = ts.flattenDiagnosticMessageText(d.messageText, '\n');
    if (!d.file || d.start === undefined) return text;
    const { line, character } = d.file.getLineAndCharacterOfPosition(d.start);
    return `${relative(dirname(file), d.file.fileName)}:${line + 1}:${character + 1} ${text}`;
  });
}

export interface ExampleRun {
  stdout: string;
  stderr: string;
  /** Exit code; null when the runner stopped a server after the visit (or it died by a signal). */
  code: number | null;
  /** The base URL of the HTTP server the example started, if it started one. */
  baseUrl?: string;
  /** TypeScript only: the typecheck's diagnostics (the block does not run when there are any). */
  typeErrors: string[];
}

export interface RunOptions {
  /** Real requests to the server the example starts; the example is stopped afterwards. */
  visit?: (baseUrl: string) => Promise<void>;
  /** Only typecheck / parse. */
  fragment?: boolean;
  env?: Record<string, string>;
  /** Until the example listens or exits, and again for its `// prints:` text after the visit. */
  timeoutMs?: number;
}

let counter = 0;

/**
 * Runs one example as written (after {@link substituteExample}, which the caller applies) in
 * `packageDir`. Rejects only when the runner itself fails (no listen and no exit in time, or the
 * visit throws); a failing example resolves with its exit code and output for the test to judge.
 */
export async function runExampleSource(
  packageDir: string,
  source: string,
  kind: 'ts' | 'esm' | 'cjs',
  options: RunOptions = {},
): Promise<ExampleRun> {
  const base = join(packageDir, `.readme-example-${process.pid}-${counter++}`);
  const written: string[] = [];
  const write = (file: string, text: string) => {
    writeFileSync(file, text);
    written.push(file);
    return file;
  };
  try {
    let file: string;
    let typeErrors: string[] = [];
    if (kind === 'ts') {
      const typed = write(`${base}.mts`, source);
      typeErrors = typecheck(typed);
      if (typeErrors.length > 0 || options.fragment) return { stdout: '', stderr: '', code: null, typeErrors };
      const js = ts.transpileModule(source, {
        compilerOptions: { ...TS_OPTIONS, noEmit: false, sourceMap: false },
        fileName: typed,
      }).outputText;
      file = write(`${base}.mjs`, js);
    } else {
      file = write(`${base}.${kind === 'esm' ? 'mjs' : 'cjs'}`, source);
    }
    const args = options.fragment ? ['--check', file] : ['--require', PRELOAD, file];
    return { ...(await runChild(packageDir, args, expectedPrints(source), options)), typeErrors };
  } finally {
    for (const file of written) rmSync(file, { force: true });
  }
}

/** Runs one extracted block against the server at `serverUri`. */
export function runBlock(block: CodeBlock, serverUri: string, options: RunOptions = {}): Promise<ExampleRun> {
  const source = substituteExample(block.code, serverUri);
  return runExampleSource(packageDirOf(block), source, moduleKind(block), {
    ...options,
    fragment: options.fragment ?? block.fragment,
  });
}

function runChild(cwd: string, args: string[], prints: string[], options: RunOptions): Promise<Omit<ExampleRun, 'typeErrors'>> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, args, {
      cwd,
      env: { ...process.env, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let baseUrl: string | undefined;
    let stopped = false;
    let failure: Error | undefined;
    const printed = () => prints.every((text) => stdout.includes(text) || stderr.includes(text));
    const stop = () => {
      stopped = true;
      child.kill('SIGTERM');
      // A server that ignores SIGTERM is not the example's intent: make sure the run ends.
      setTimeout(() => child.kill('SIGKILL'), 5_000).unref();
    };
    const timer = setTimeout(() => {
      failure = new Error(`the example neither listened nor exited within ${timeoutMs} ms`);
      stop();
    }, timeoutMs);
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk;
      const port = /__EXAMPLE_LISTENING__ (\d+)/.exec(stdout)?.[1];
      if (!port || baseUrl) return;
      baseUrl = `http://127.0.0.1:${port}/`;
      clearTimeout(timer);
      (options.visit ?? (async () => undefined))(baseUrl).then(
        async () => {
          // The visit is done: wait for the `// prints:` text, then stop the server.
          const deadline = Date.now() + timeoutMs;
          while (!printed() && child.exitCode === null && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
          stop();
        },
        (error: Error) => {
          failure = error;
          stop();
        },
      );
    });
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk));
    child.on('error', (error) => {
      failure = error;
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      if (failure) {
        reject(new Error(`${failure.message}\nstdout: ${stdout}\nstderr: ${stderr}`, { cause: failure }));
        return;
      }
      resolvePromise({ stdout, stderr, code: stopped ? null : code, ...(baseUrl ? { baseUrl } : {}) });
    });
  });
}
