// /v1/events checks access for as long as a stream is open (issue 12, rule 7; docs/api.md): it ends when
// its credential stops working, and names only tokens its subscriber may see.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { ApiClient } from '../helpers/client.ts';
import { testDialects } from '../helpers/dialects.ts';
import { type AdminSession, addMember, createToken, setupAdmin, unique } from '../helpers/factories.ts';
import { startServer, type TestServer } from '../helpers/server.ts';

interface StreamEvent {
  type: string;
  data: Record<string, unknown>;
}

interface Stream {
  readonly events: StreamEvent[];
  /** Resolves when the server ends the stream. */
  readonly ended: Promise<void>;
  /** Resolves with the first event (past or future) that matches, or fails after the deadline. */
  next(match: (event: StreamEvent) => boolean, what: string): Promise<StreamEvent>;
  close(): void;
}

const DEADLINE_MS = 5_000;

/** Opens /v1/events with the given headers and reads it as the SDK does; resolves once `ready` arrived. */
async function openStream(server: TestServer, headers: Record<string, string>): Promise<Stream> {
  const abort = new AbortController();
  const response = await fetch(`${server.url}/v1/events`, { headers, signal: abort.signal });
  assert.equal(response.status, 200, await (response.status === 200 ? '' : response.text()));
  const events: StreamEvent[] = [];
  const waiters = new Set<() => void>();
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  const ended = (async () => {
    let buffer = '';
    for (;;) {
      const chunk = await reader.read().catch(() => ({ done: true, value: undefined }));
      if (chunk.done) break;
      buffer += decoder.decode(chunk.value, { stream: true });
      let split = buffer.indexOf('\n\n');
      while (split !== -1) {
        const block = buffer.slice(0, split);
        buffer = buffer.slice(split + 2);
        const type = /^event: (.*)$/m.exec(block)?.[1];
        const data = /^data: (.*)$/m.exec(block)?.[1];
        if (type !== undefined && data !== undefined) events.push({ type, data: JSON.parse(data) });
        split = buffer.indexOf('\n\n');
      }
      for (const wake of waiters) wake();
    }
    for (const wake of waiters) wake();
  })();
  let done = false;
  void ended.then(() => {
    done = true;
  });
  const stream: Stream = {
    events,
    ended,
    next(match, what) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const found = events.find(match);
          if (found) {
            cleanup();
            resolve(found);
          } else if (done) {
            cleanup();
            reject(new Error(`the stream ended before ${what}`));
          }
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`timed out waiting for ${what}`));
        }, DEADLINE_MS);
        const cleanup = () => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        waiters.add(check);
        check();
      });
    },
    close: () => abort.abort(),
  };
  await stream.next((event) => event.type === 'ready', 'ready');
  return stream;
}

/** Resolves when the stream ends, or fails after the deadline. */
async function endsWithin(stream: Stream, what: string): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`the stream did not end after ${what}`)), DEADLINE_MS);
  });
  try {
    await Promise.race([stream.ended, timeout]);
  } finally {
    clearTimeout(timer);
    stream.close();
  }
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const cookieOf = (client: ApiClient) => ({ cookie: client.sessionCookie ?? '' });

for (const dialect of await testDialects()) {
  describe(`event streams check access while open (${dialect.name})`, { skip: dialect.skip }, () => {
    let server: TestServer;
    let admin: AdminSession;
    const streams: Stream[] = [];
    const open = async (headers: Record<string, string>) => {
      const stream = await openStream(server, headers);
      streams.push(stream);
      return stream;
    };

    before(async () => {
      // Sessions are checked again every 50 ms here (15 s by default): a sign-out has no event of its own.
      server = await startServer({
        dialect: dialect.name,
        env: { EVENTS_RECHECK_INTERVAL_MS: '50', LOGIN_ATTEMPTS_PER_MINUTE: '1000' },
      });
      admin = await setupAdmin(server.url, `${unique('admin')}@example.com`);
    });
    after(async () => {
      for (const stream of streams) stream.close();
      await server?.close();
    });

    const tokens = () => `/v1/orgs/${admin.orgId}/tokens`;

    test('a stream opened with a personal token ends when the token is revoked', async () => {
      const member = await addMember(admin, 'rol_admin');
      const { token, id } = await createToken(member, { permissions: ['tokens:read'] });
      const stream = await open(bearer(token));
      assert.equal((await member.client.delete(`${tokens()}/${id}`)).status < 300, true);
      await endsWithin(stream, 'its token was revoked');
    });

    test('a stream opened with a personal token ends when its owner is removed from the org', async () => {
      const member = await addMember(admin, 'rol_admin');
      const { token } = await createToken(member, { permissions: ['tokens:read'] });
      const stream = await open(bearer(token));
      const removed = await admin.client.delete(`/v1/orgs/${admin.orgId}/members/${member.userId}`);
      assert.ok(removed.status < 300, JSON.stringify(removed.body));
      await endsWithin(stream, 'its owner was removed');
    });

    test('a stream opened with a token ends when the token expires', async () => {
      const { token } = await createToken(admin, { permissions: ['tokens:read'], expiresIn: '2s' });
      const stream = await open(bearer(token));
      await endsWithin(stream, 'its token expired');
    });

    test('a session stream ends when the session signs out, or when the member is removed', async () => {
      const leaving = await addMember(admin, 'rol_readonly');
      const signedOut = await open(cookieOf(leaving.client));
      assert.equal((await leaving.client.post('/v1/auth/logout', {})).status < 300, true);
      await endsWithin(signedOut, 'the session signed out');

      const removed = await addMember(admin, 'rol_readonly');
      const stream = await open(cookieOf(removed.client));
      await admin.client.delete(`/v1/orgs/${admin.orgId}/members/${removed.userId}`);
      await endsWithin(stream, 'the member was removed');
    });

    test('a member without tokens:read hears only of their own tokens by id; of others only that the org changed', async () => {
      const reader = await addMember(admin, 'rol_readonly');
      const stream = await open(cookieOf(reader.client));
      const everything = await open(cookieOf(admin.client));
      const others = await createToken(admin);
      const own = await createToken(reader, { permissions: ['blocks:read'] });
      assert.ok((await admin.client.delete(`${tokens()}/${others.id}`)).status < 300);
      assert.ok((await reader.client.delete(`${tokens()}/${own.id}`)).status < 300);
      // Events arrive in order: once the reader's own revocation is there, the other one was judged.
      await stream.next(
        (e) => e.type === 'token.revoked' && e.data.tokenId === own.id,
        'their own revocation',
      );
      assert.ok(stream.events.some((e) => e.type === 'org.changed' && e.data.orgId === admin.orgId));
      assert.equal(
        stream.events.some((e) => JSON.stringify(e.data).includes(others.id)),
        false,
        'no event names a token the member may not see',
      );
      // Someone with tokens:read hears of both by id.
      await everything.next(
        (e) => e.type === 'token.revoked' && e.data.tokenId === others.id,
        'the admin event',
      );
      await everything.next(
        (e) => e.type === 'token.revoked' && e.data.tokenId === own.id,
        'the member event',
      );
    });

    test('a token without tokens:read names no token at all', async () => {
      const reader = await addMember(admin, 'rol_readwrite');
      const { token, id } = await createToken(reader, { permissions: ['blocks:read'] });
      const stream = await open(bearer(token));
      const other = await createToken(admin);
      assert.ok((await admin.client.delete(`${tokens()}/${other.id}`)).status < 300);
      await stream.next((e) => e.type === 'org.changed', 'org.changed');
      assert.equal(
        stream.events.some((e) => 'tokenId' in e.data),
        false,
        `no token ids (the stream's own token is ${id})`,
      );
    });
  });
}
