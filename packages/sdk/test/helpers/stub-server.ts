import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { VerifiedToken, VerifyFailureCode } from '../../src/types.ts';

/**
 * A stand-in for the Latchkey server's verify, session and event endpoints, for the cache rules
 * that need a server to misbehave on demand (drop its stream). Everything else is tested against
 * the real server.
 */
export interface StubServer {
  url: string;
  tokens: Map<string, VerifiedToken | VerifyFailureCode>;
  verifyCalls: number;
  /** When set, new event streams are answered 503. */
  refuseStreams: boolean;
  /** Open event streams. */
  streams: Set<ServerResponse>;
  send(type: string, data: unknown): void;
  dropStreams(): void;
  /** Resolves when the n-th event stream (counting from 1 since start) has been opened. */
  streamOpened(n: number): Promise<void>;
  close(): Promise<void>;
}

async function body(request: IncomingMessage): Promise<unknown> {
  let text = '';
  for await (const chunk of request) text += chunk;
  return text === '' ? {} : JSON.parse(text);
}

export async function startStubServer(orgIds: string[] = ['org_1']): Promise<StubServer> {
  let opened = 0;
  const waiters: Array<{ n: number; resolve: () => void }> = [];
  const stub: StubServer = {
    url: '',
    tokens: new Map(),
    verifyCalls: 0,
    refuseStreams: false,
    streams: new Set(),
    send(type, data) {
      for (const stream of stub.streams) stream.write(`event: ${type}\ndata: ${JSON.stringify(data)}\n\n`);
    },
    dropStreams() {
      for (const stream of stub.streams) stream.destroy();
      stub.streams.clear();
    },
    streamOpened(n) {
      if (opened >= n) return Promise.resolve();
      return new Promise((resolve) => waiters.push({ n, resolve }));
    },
    async close() {
      stub.dropStreams();
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
  const server = createServer((request, response) => {
    void (async () => {
      const json = (status: number, value: unknown) => {
        response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(value));
      };
      if (request.url === '/v1/verify' && request.method === 'POST') {
        stub.verifyCalls++;
        const { token } = (await body(request)) as { token: string };
        const known = stub.tokens.get(token);
        if (known === undefined) return json(200, { valid: false, code: 'NOT_FOUND' });
        if (typeof known === 'string') return json(200, { valid: false, code: known });
        return json(200, { valid: true, token: known });
      }
      if (request.url === '/v1/auth/session') {
        return json(200, {
          user: null,
          orgs: orgIds.map((id) => ({ id, name: id, roleId: 'rol_admin', permissions: [] })),
          csrfToken: null,
        });
      }
      if (request.url === '/v1/events') {
        if (stub.refuseStreams)
          return json(503, { error: { code: 'UNAVAILABLE', message: 'down', details: null } });
        response.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store' });
        response.write(': hello\n\nevent: ready\ndata: {}\n\n');
        stub.streams.add(response);
        response.on('close', () => stub.streams.delete(response));
        opened++;
        for (const waiter of [...waiters]) {
          if (opened >= waiter.n) {
            waiters.splice(waiters.indexOf(waiter), 1);
            waiter.resolve();
          }
        }
        return;
      }
      json(404, { error: { code: 'NOT_FOUND', message: 'no route', details: null } });
    })();
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  stub.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return stub;
}
