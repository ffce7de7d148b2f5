// Real upstreams for the gateway tests: a JSON-RPC node shaped like NEAR's, and a small REST server.
import { createHash } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';

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

/** A port nothing listens on. */
export async function deadUrl(): Promise<string> {
  const server = createServer();
  const url = await listen(server);
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return url;
}
