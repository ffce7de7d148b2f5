import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus } from 'node:os';

/** The core the servers run on and the core the load runs on; null where there is only one core. */
export const cores: { server: string; load: string } | null =
  cpus().length >= 2 && hasTaskset() ? { server: '0', load: '1' } : null;

function hasTaskset(): boolean {
  return spawnSync('taskset', ['--version'], { stdio: 'ignore' }).status === 0;
}

/** The command line, prefixed with `taskset -c <core>` where two cores are available. */
export function pinned(core: 'server' | 'load', command: string, args: string[]): [string, string[]] {
  if (cores === null) return [command, args];
  return ['taskset', ['-c', cores[core], command, ...args]];
}

/** Moves this process (every thread of it) to the load core, so client-side work never competes with a server. */
export function pinSelfToLoadCore(): void {
  if (cores === null) return;
  spawnSync('taskset', ['-a', '-p', '-c', cores.load, String(process.pid)], { stdio: 'ignore' });
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address !== null ? address.port : 0));
    });
  });
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** VmRSS of a process in MB, or null once it is gone. */
export function rssMb(pid: number): number | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const match = /VmRSS:\s+(\d+) kB/.exec(status);
    return match ? Number(match[1]) / 1024 : null;
  } catch {
    return null;
  }
}

const clockTicks = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;

/**
 * CPU seconds (user + system) a process has used, from /proc/<pid>/stat; null once it is gone.
 * CPU per request is the figure that survives a shared machine: it counts only the time the server ran.
 */
export function cpuSeconds(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces) start after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / clockTicks;
  } catch {
    return null;
  }
}

/** Samples the RSS of a process every `everyMs` until stopped; answers the highest and the last. */
export function sampleRss(pid: number, everyMs = 250): () => { maxMb: number; lastMb: number } {
  let maxMb = rssMb(pid) ?? 0;
  let lastMb = maxMb;
  const timer = setInterval(() => {
    const value = rssMb(pid);
    if (value === null) return;
    lastMb = value;
    if (value > maxMb) maxMb = value;
  }, everyMs);
  return () => {
    clearInterval(timer);
    const value = rssMb(pid);
    if (value !== null) {
      lastMb = value;
      maxMb = Math.max(maxMb, value);
    }
    return { maxMb, lastMb };
  };
}

export interface Child {
  readonly process: ChildProcess;
  readonly pid: number;
  readonly url: string;
  /** What the child wrote to stderr (and stdout when kept), for error messages. */
  output(): string;
  stop(): Promise<void>;
}

/** Spawns a server on the server core; `url` is where it listens. Its stdout (the log) goes to `logFile`. */
export function spawnServer(
  args: string[],
  options: { env: NodeJS.ProcessEnv; port: number; cwd: string; logFile?: string },
): Child {
  const [command, argv] = pinned('server', process.execPath, args);
  const logFd = options.logFile ? openSync(options.logFile, 'a') : 'ignore';
  const child = spawn(command, argv, {
    cwd: options.cwd,
    env: options.env,
    stdio: ['ignore', logFd, 'pipe'],
  });
  if (typeof logFd === 'number') closeSync(logFd);
  let output = '';
  const keep = (chunk: Buffer) => {
    output += chunk.toString();
    if (output.length > 20_000) output = output.slice(-10_000);
  };
  child.stderr?.on('data', keep);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    process: child,
    pid: child.pid ?? 0,
    url: `http://127.0.0.1:${options.port}`,
    output: () => {
      if (!options.logFile) return output;
      const log = readFileSync(options.logFile, 'utf8');
      return `${output}\n--- ${options.logFile} (end):\n${log.slice(-8000)}`;
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Polls a URL until it answers 2xx; throws with the child's output when it exits or times out. */
export async function waitReady(child: Child, path = '/healthz', timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.process.exitCode !== null) {
      throw new Error(`server exited with code ${child.process.exitCode}:\n${child.output()}`);
    }
    try {
      const response = await fetch(`${child.url}${path}`);
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await sleep(20);
  }
  throw new Error(`server not ready after ${timeoutMs} ms:\n${child.output()}`);
}
