import { Writable } from 'node:stream';

const LEVELS: Record<number, string> = {
  10: 'TRACE',
  20: 'DEBUG',
  30: 'INFO ',
  40: 'WARN ',
  50: 'ERROR',
  60: 'FATAL',
};
const SKIP = new Set([
  'level',
  'time',
  'pid',
  'hostname',
  'msg',
  'reqId',
  'req',
  'res',
  'responseTime',
  'err',
]);

/**
 * One pino JSON line as a person reads it on a terminal: `12:04:05 INFO  message  key=value …`, a request
 * as `GET /v1/orgs 200 3ms`, an error with its stack. Logs that are not a terminal stay JSON (main.ts).
 */
export function formatLogLine(line: string): string {
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line;
  }
  const time = new Date(Number(entry.time ?? Date.now())).toISOString().slice(11, 19);
  const level = LEVELS[Number(entry.level)] ?? String(entry.level);
  const parts = [time, level];
  const req = entry.req as { method?: string; url?: string } | undefined;
  const res = entry.res as { statusCode?: number } | undefined;
  if (req?.method) parts.push(`${req.method} ${req.url ?? ''}`);
  else if (res?.statusCode !== undefined) {
    parts.push(
      `→ ${res.statusCode}${entry.responseTime === undefined ? '' : ` ${Math.round(Number(entry.responseTime))}ms`}`,
    );
  } else parts.push(String(entry.msg ?? ''));
  const fields = Object.entries(entry)
    .filter(([key]) => !SKIP.has(key))
    .map(([key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`);
  if (fields.length > 0) parts.push(` ${fields.join(' ')}`);
  const err = entry.err as { stack?: string; message?: string } | undefined;
  const text = parts.join(' ');
  return err ? `${text}\n${err.stack ?? err.message ?? ''}` : text;
}

/** A stream for pino that writes readable lines to `out` (a terminal). */
export function terminalLogStream(out: NodeJS.WritableStream): Writable {
  let pending = '';
  return new Writable({
    write(chunk, _encoding, done) {
      pending += String(chunk);
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) if (line !== '') out.write(`${formatLogLine(line)}\n`);
      done();
    },
  });
}
