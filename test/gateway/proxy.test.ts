// HTTP details of the proxy (gateway/proxy.ts): what it does with informational answers, 100-continue,
// hop-by-hop headers and chunked bodies, in front of an upstream that sends them.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, request as httpRequest, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { type RunningGateway, startGateway } from '../../cli/commands/gateway.ts';
import { createToken, setupAdmin } from '../helpers/factories.ts';
import { startServer, type TestServer } from '../helpers/server.ts';

let server: TestServer;
let upstream: Server;
let gateway: RunningGateway;
let reader: string;
const dir = mkdtempSync(join(tmpdir(), 'latchkey-gateway-proxy-'));

before(async () => {
  server = await startServer();
  const admin = await setupAdmin(server.url);
  upstream = createServer((req, res) => {
    if (req.url === '/hints') {
      res.writeEarlyHints({ link: '</style.css>; rel=preload; as=style' });
      res.writeHead(200, { 'content-type': 'text/plain', 'keep-alive': 'timeout=99', 'x-kept': 'yes' });
      res.end('final');
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      // No content-length: the answer is chunked.
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write(
        JSON.stringify({ expect: req.headers.expect ?? null, body: Buffer.concat(chunks).toString() }),
      );
      res.end();
    });
  });
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  const address = upstream.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  const rules = join(dir, 'rules.yaml');
  writeFileSync(rules, 'rules:\n  - match: { path: "/**" }\n    permission: blocks:read\n');
  const gatewayToken = (await createToken(admin, { access: 'full', permissions: undefined, name: 'gateway' }))
    .token;
  gateway = await startGateway({
    upstream: `http://127.0.0.1:${address.port}`,
    rulesFile: rules,
    port: 0,
    latchkeyUrl: server.url,
    token: gatewayToken,
    cacheReadyTimeoutMs: 5_000,
  });
  reader = (await createToken(admin, { permissions: ['blocks:read'] })).token;
});

after(async () => {
  await gateway?.close();
  upstream?.closeAllConnections();
  await new Promise<void>((resolve) => (upstream ? upstream.close(() => resolve()) : resolve()));
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

test('an informational answer (103 Early Hints) is dropped; the final answer passes, less its hop-by-hop headers', async () => {
  const response = await fetch(`${gateway.url}/hints`, { headers: { authorization: `Bearer ${reader}` } });
  assert.equal(response.status, 200);
  assert.equal(await response.text(), 'final');
  assert.equal(response.headers.get('x-kept'), 'yes');
  assert.notEqual(response.headers.get('keep-alive'), 'timeout=99', "the upstream's keep-alive is its own");
});

test('a client that expects 100-continue gets it from the gateway; the body reaches the upstream, the header does not', async () => {
  const url = new URL(`${gateway.url}/echo`);
  const answer = await new Promise<{ status: number; body: string; continued: boolean }>(
    (resolve, reject) => {
      let continued = false;
      const req = httpRequest(
        {
          host: url.hostname,
          port: url.port,
          path: url.pathname,
          method: 'POST',
          headers: {
            authorization: `Bearer ${reader}`,
            'content-type': 'text/plain',
            'content-length': '5',
            expect: '100-continue',
          },
        },
        (res) => {
          let body = '';
          res.on('data', (c: Buffer) => {
            body += c.toString();
          });
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body, continued }));
        },
      );
      req.on('continue', () => {
        continued = true;
        req.end('hello');
      });
      req.on('error', reject);
    },
  );
  assert.equal(answer.status, 200);
  assert.ok(answer.continued);
  assert.deepEqual(JSON.parse(answer.body), { expect: null, body: 'hello' });
});
