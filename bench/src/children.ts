/** App children: started with the harness's own loader (tsx), tracked, and always killed. */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { AppConfig, ChildMessage, ParentMessage } from './protocol';

const APP = fileURLToPath(new URL('./app.ts', import.meta.url));
const live = new Set<ChildProcess>();

export interface AppChild {
  readonly port: number;
  readonly pid: number;
  readonly deviations: string[];
  /** Set when the child exited without being asked to. */
  readonly crashed: () => string | undefined;
  resetPeak(): void;
  sample(): Promise<{ rss: number; peakRss: number; storeErrors: number; cpuMicros: number }>;
  stop(): Promise<void>;
}

export async function startApp(config: AppConfig, extraExecArgv: string[] = []): Promise<AppChild> {
  const child = fork(APP, [], {
    // process.execArgv carries tsx's loader; the child runs TypeScript the same way.
    execArgv: [...process.execArgv, ...extraExecArgv],
    env: { ...process.env, BENCH_APP_CONFIG: JSON.stringify(config) },
    stdio: ['ignore', 'inherit', 'pipe', 'ipc'],
  });
  live.add(child);
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  let stopping = false;
  let crash: string | undefined;
  const exited = new Promise<void>((done) =>
    child.once('exit', (code, signal) => {
      live.delete(child);
      if (!stopping) crash = `exited (${signal ?? code}): ${stderr.trim().split('\n').slice(-3).join(' | ')}`;
      done();
    }),
  );
  const waiting = new Set<(m: ChildMessage) => void>();
  child.on('message', (m: ChildMessage) => waiting.forEach((w) => w(m)));
  const next = <T extends ChildMessage['type']>(type: T, timeoutMs: number) =>
    new Promise<Extract<ChildMessage, { type: T }>>((resolve, reject) => {
      const timer = setTimeout(
        () => finish(new Error(`${config.store}: no '${type}' from the app within ${timeoutMs} ms`)),
        timeoutMs,
      );
      const onMessage = (m: ChildMessage) => {
        if (m.type === type) finish(undefined, m as Extract<ChildMessage, { type: T }>);
      };
      const onExit = () => finish(new Error(`${config.store}: the app ${crash ?? 'exited'}`));
      const finish = (error?: Error, m?: Extract<ChildMessage, { type: T }>) => {
        clearTimeout(timer);
        waiting.delete(onMessage);
        child.off('exit', onExit);
        if (error) reject(error);
        else resolve(m!);
      };
      waiting.add(onMessage);
      child.once('exit', onExit);
    });
  const post = (m: ParentMessage) => {
    if (child.connected) child.send(m);
  };
  const ready = await next('ready', 60_000).catch(async (error: unknown) => {
    child.kill('SIGKILL');
    await exited;
    throw error;
  });
  return {
    port: ready.port,
    pid: child.pid!,
    deviations: ready.deviations,
    crashed: () => crash,
    resetPeak: () => post({ type: 'resetPeak' }),
    sample: async () => {
      const pending = next('sample', 10_000);
      post({ type: 'sample' });
      const { rss, peakRss, storeErrors, cpuMicros } = await pending;
      return { rss, peakRss, storeErrors, cpuMicros };
    },
    stop: async () => {
      stopping = true;
      if (child.exitCode !== null || child.signalCode !== null) return;
      post({ type: 'stop' });
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Kills every app child still running (error paths, signals). */
export function killAllApps(): void {
  for (const child of live) child.kill('SIGKILL');
}
