// `latchkey serve` as real child processes, for tests of the process itself and of several processes.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const repoRoot = resolve(import.meta.dirname, '..', '..');
export const READY_TIMEOUT_MS = 30_000;
const EXIT_TIMEOUT_MS = 15_000;

export async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      if (address === null || typeof address === 'string') return reject(new Error('no port'));
      probe.close(() => resolvePort(address.port));
    });
  });
}

export interface ServeProcess {
  child: ChildProcess;
  output(): string;
  /** Resolves with the exit code (null when killed by a signal) once the process ends. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Resolves when the server logs that it is serving; rejects if it exits or takes too long first. */
  ready: Promise<void>;
}

export const running = new Set<ChildProcess>();

export function serve(args: string[], env: Record<string, string> = {}): ServeProcess {
  const base = { ...process.env };
  for (const name of [
    'DATABASE_URL',
    'PORT',
    'HOST',
    'LATCHKEY_DATA_DIR',
    'LATCHKEY_SECRET',
    'LATCHKEY_TOKEN_PREFIX',
  ]) {
    delete base[name];
  }
  const child = spawn(process.execPath, ['bin/latchkey.js', 'serve', ...args], {
    cwd: repoRoot,
    env: { ...base, LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  let text = '';
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolveExit) => {
    child.once('exit', (code, signal) => {
      running.delete(child);
      resolveExit({ code, signal });
    });
  });
  const ready = new Promise<void>((resolveReady, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`not serving after ${READY_TIMEOUT_MS} ms:\n${text}`)),
      READY_TIMEOUT_MS,
    );
    const onData = (chunk: Buffer) => {
      text += chunk.toString();
      if (text.includes('Latchkey is serving')) {
        clearTimeout(timer);
        resolveReady();
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    void exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`exited (${code ?? signal}) before serving:\n${text}`));
    });
  });
  ready.catch(() => {});
  return { child, output: () => text, exited, ready };
}

export async function stop(server: ServeProcess, signal: NodeJS.Signals = 'SIGTERM') {
  server.child.kill(signal);
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`no exit ${EXIT_TIMEOUT_MS} ms after ${signal}:\n${server.output()}`)),
      EXIT_TIMEOUT_MS,
    );
  });
  try {
    return await Promise.race([server.exited, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

const tempDirs: string[] = [];
export function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'latchkey-serve-'));
  tempDirs.push(dir);
  return dir;
}

/** Kills what is still running and removes the temporary directories: call it in `after`. */
export function cleanUpProcesses(): void {
  for (const child of running) child.kill('SIGKILL');
  for (const dir of tempDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
}
