// Real upstreams for the gateway tests: a JSON-RPC node shaped like NEAR's, and a small REST server.
import { createHash } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import express from 'express';
import Fastify from 'fastify';

export interface Upstream {
  url: string;
  /** Every request the upstream received, in order. */
  requests: Array<{ method: string; url: string; headers: IncomingHttpHeaders; body: string }>;
  close(): Promise<void>;
}

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return `http://127.0.0.1:${address.port}`;
}

function closer(server: Server) {
  return () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
}

/** What the fake node answers to each call: enough to see which call it was and who asked. */
function answer(call: { id?: unknown; method?: unknown; params?: unknown }, headers: IncomingHttpHeaders) {
  return {
    jsonrpc: '2.0',
    id: call.id ?? null,
    result: {
      method: call.method,
      params: call.params,
      tokenId: headers['x-latchkey-token-id'] ?? null,
      orgId: headers['x-latchkey-org-id'] ?? null,
      authorization: headers.authorization ?? null,
    },
  };
}

/** POST / with JSON-RPC 2.0 (single calls and batches), GET /status, like a NEAR RPC node. */
export async function startNearNode(): Promise<Upstream> {
  const requests: Upstream['requests'] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      if (req.method === 'GET' && req.url === '/status') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ chain_id: 'testnet', sync_info: { latest_block_height: 42 } }));
        return;
      }
      if (req.method !== 'POST' || req.url !== '/') {
        res.writeHead(404).end();
        return;
      }
      let parsed: unknown;
      try {
        parsed = JSON.parse(body);
      } catch {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({ jsonrpc: '2.0', id: null, error: { code: -32700, message: 'Parse error' } }),
        );
        return;
      }
      const result = Array.isArray(parsed)
        ? parsed.map((call) => answer(call, req.headers))
        : answer(parsed as { id?: unknown }, req.headers);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(result));
    });
  });
  const url = await listen(server);
  return { url, requests, close: closer(server) };
}

export interface RestUpstream extends Upstream {
  /** Bytes of the upload in progress received so far. */
  uploadBytes(): number;
}

/**
 * GET /things/:id echoes what it received; POST /upload counts and hashes a streamed body;
 * GET /download sends 10 MB; GET /fail answers 500 with a body of its own.
 */
export async function startRestServer(): Promise<RestUpstream> {
  const requests: Upstream['requests'] = [];
  let uploadBytes = 0;
  const server = createServer((req, res) => {
    const url = req.url ?? '';
    if (req.method === 'POST' && url.startsWith('/upload')) {
      uploadBytes = 0;
      const hash = createHash('sha256');
      req.on('data', (chunk: Buffer) => {
        uploadBytes += chunk.length;
        hash.update(chunk);
      });
      req.on('end', () => {
        requests.push({ method: 'POST', url, headers: req.headers, body: '' });
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ bytes: uploadBytes, sha256: hash.digest('hex') }));
      });
      return;
    }
    req.resume();
    req.on('end', () => {
      requests.push({ method: req.method ?? '', url, headers: req.headers, body: '' });
      if (url === '/download') {
        res.writeHead(200, { 'content-type': 'application/octet-stream' });
        const chunk = Buffer.alloc(64 * 1024, 7);
        let sent = 0;
        const pump = () => {
          while (sent < 10 * 1024 * 1024) {
            sent += chunk.length;
            if (!res.write(chunk)) return void res.once('drain', pump);
          }
          res.end();
        };
        pump();
        return;
      }
      if (url === '/fail') {
        res.writeHead(500, { 'content-type': 'application/json', 'x-upstream': 'yes' });
        res.end(JSON.stringify({ upstream: 'broke' }));
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ method: req.method, url, headers: req.headers }));
    });
  });
  const url = await listen(server);
  return { url, requests, close: closer(server), uploadBytes: () => uploadBytes };
}

/**
 * The same small API on a framework, as an application would write it: `GET /admin/secret` (what a
 * deny rule keeps out), `GET /shards/:shard/accounts/:id` and `GET /shards/:shard/blocks/:n`. Each
 * framework routes the way it does by default: Fastify decodes `%61` and compares letter case,
 * Express ignores letter case.
 */
export interface AppUpstream extends Upstream {
  framework: 'fastify' | 'express';
}

const appAnswers = {
  secret: () => ({ secret: 'the admin area' }),
  account: (shard: string, id: string) => ({ account: id, shard }),
  block: (shard: string, n: string) => ({ block: n, shard }),
};

export async function startFastifyApp(): Promise<AppUpstream> {
  const requests: Upstream['requests'] = [];
  const app = Fastify();
  app.addHook('onRequest', async (request) => {
    requests.push({ method: request.method, url: request.raw.url ?? '', headers: request.headers, body: '' });
  });
  app.get('/admin/secret', async () => appAnswers.secret());
  app.get<{ Params: { shard: string; id: string } }>('/shards/:shard/accounts/:id', async (request) =>
    appAnswers.account(request.params.shard, request.params.id),
  );
  app.get<{ Params: { shard: string; n: string } }>('/shards/:shard/blocks/:n', async (request) =>
    appAnswers.block(request.params.shard, request.params.n),
  );
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  return { framework: 'fastify', url, requests, close: () => app.close() };
}

export async function startExpressApp(): Promise<AppUpstream> {
  const requests: Upstream['requests'] = [];
  const app = express();
  app.use((req, _res, next) => {
    requests.push({ method: req.method, url: req.originalUrl, headers: req.headers, body: '' });
    next();
  });
  app.get('/admin/secret', (_req, res) => {
    res.json(appAnswers.secret());
  });
  app.get('/shards/:shard/accounts/:id', (req, res) => {
    res.json(appAnswers.account(String(req.params.shard), String(req.params.id)));
  });
  app.get('/shards/:shard/blocks/:n', (req, res) => {
    res.json(appAnswers.block(String(req.params.shard), String(req.params.n)));
  });
  const server = createServer(app);
  const url = await listen(server);
  return { framework: 'express', url, requests, close: closer(server) };
}

/** A port nothing listens on. */
export async function deadUrl(): Promise<string> {
  const server = createServer();
  const url = await listen(server);
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return url;
}
