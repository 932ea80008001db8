/** What commands print: JSON on stdout for scripts, or lines for people; progress on stderr. */
import type { Writable } from 'node:stream';

export interface Io {
  readonly stdout: Writable;
  readonly stderr: Writable & { isTTY?: boolean; columns?: number };
  readonly env: NodeJS.ProcessEnv;
}

export function printResult(io: Io, json: boolean, result: object, lines: () => string[]): void {
  io.stdout.write(json ? `${JSON.stringify(result)}\n` : `${lines().join('\n')}\n`);
}

/**
 * A progress bar on stderr when it is a terminal, plain lines otherwise (logs, pipes),
 * nothing with `quiet`.
 */
export class Progress {
  readonly #io: Io;
  readonly #label: string;
  readonly #total: number;
  readonly #quiet: boolean;
  #drawn = false;

  constructor(io: Io, label: string, total: number, quiet: boolean) {
    this.#io = io;
    this.#label = label;
    this.#total = total;
    this.#quiet = quiet;
  }

  update(done: number): void {
    if (this.#quiet) return;
    const total = Math.max(this.#total, done);
    const share = total === 0 ? 1 : done / total;
    const percent = `${Math.floor(share * 100)}%`.padStart(4);
    if (this.#io.stderr.isTTY) {
      const width = Math.max(10, Math.min(40, (this.#io.stderr.columns ?? 80) - this.#label.length - 30));
      const filled = Math.round(share * width);
      this.#io.stderr.write(`\r${this.#label} [${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${percent} ${done}/${total}`);
      this.#drawn = true;
    } else {
      this.#io.stderr.write(`${this.#label}: ${done}/${total} (${percent.trim()})\n`);
    }
  }

  finish(): void {
    if (this.#drawn) this.#io.stderr.write('\n');
    this.#drawn = false;
  }
}

/** 1536 → "1.5 KiB". */
export function formatBytes(bytes: number): string {
  const units = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${bytes} bytes` : `${value.toFixed(1)} ${units[unit]}`;
}
