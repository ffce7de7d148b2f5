// Logs (issue 14): readable lines on a terminal, JSON otherwise; probes and static files are not logged at info.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatLogLine } from '../../server/http/log-format.ts';
import { startServer } from '../helpers/server.ts';

test('a JSON log line reads as time, level, message and fields on a terminal', () => {
  const time = Date.parse('2026-12-05T12:04:05Z');
  assert.equal(
    formatLogLine(
      JSON.stringify({
        level: 30,
        time,
        pid: 1,
        hostname: 'h',
        msg: 'Latchkey is serving',
        database: 'sqlite',
      }),
    ),
    '12:04:05 INFO  Latchkey is serving  database=sqlite',
  );
  assert.equal(
    formatLogLine(
      JSON.stringify({
        level: 30,
        time,
        reqId: 'a',
        req: { method: 'GET', url: '/v1/orgs' },
        msg: 'incoming request',
      }),
    ),
    '12:04:05 INFO  GET /v1/orgs',
  );
  assert.equal(
    formatLogLine(
      JSON.stringify({
        level: 30,
        time,
        res: { statusCode: 200 },
        responseTime: 3.2,
        msg: 'request completed',
      }),
    ),
    '12:04:05 INFO  → 200 3ms',
  );
  assert.equal(formatLogLine('not json'), 'not json');
});

test('probes and static files are not logged at info; API requests are', async () => {
  const server = await startServer();
  try {
    for (const path of ['/healthz', '/readyz', '/favicon.ico', '/assets/app.js'])
      await fetch(`${server.url}${path}`);
    await fetch(`${server.url}/v1/permissions`);
    const requests = server.logs
      .map((line) => JSON.parse(line) as { req?: { url: string } })
      .flatMap((entry) => (entry.req ? [entry.req.url] : []));
    assert.deepEqual(requests, ['/v1/permissions']);
  } finally {
    await server.close();
  }
});
