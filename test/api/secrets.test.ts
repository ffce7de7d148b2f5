// After a whole workflow, no secret is anywhere but where it belongs: not in the database, the logs, the audit
// log, /metrics or a requested URL (spec §2 Storage, issue 2 "Done when").
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { ApiClient } from '../helpers/client.ts';
import { testDialects } from '../helpers/dialects.ts';
import { createToken, PASSWORD, setupAdmin, unique, verify } from '../helpers/factories.ts';
import { startServer, type TestServer } from '../helpers/server.ts';
import { invite, signIn, waitFor } from '../helpers/workflows.ts';

const MEMBER_PASSWORD = 'a different member passphrase 42';

/** Every file under `dir` except the outbox (mails hold a value by design) and the secret's own file. */
function dataFiles(dir: string, root = dir): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    const rel = relative(root, path);
    if (rel === 'outbox' || rel === 'server-secret') continue;
    if (statSync(path).isDirectory()) out.push(...dataFiles(path, root));
    else out.push(path);
  }
  return out;
}

/** Every row of every table of the test's PostgreSQL database, as text. */
async function postgresDump(databaseUrl: string): Promise<string> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const tables = await client.query<{ table_name: string }>(
      "select table_name from information_schema.tables where table_schema = 'public' and table_type = 'BASE TABLE'",
    );
    assert.ok(tables.rows.length >= 8, 'the schema has its tables');
    const parts: string[] = [];
    for (const { table_name } of tables.rows) {
      const rows = await client.query(`select t::text as row from "${table_name}" t`);
      parts.push(`## ${table_name}`, ...rows.rows.map((r: { row: string }) => r.row));
    }
    return parts.join('\n');
  } finally {
    await client.end();
  }
}

for (const dialect of await testDialects()) {
  describe(`no secret anywhere after a full workflow (${dialect.name})`, { skip: dialect.skip }, () => {
    let server: TestServer;
    /** label -> secret value */
    const secrets = new Map<string, string>();
    const requestedUrls: string[] = [];
    const realFetch = globalThis.fetch;
    let orgId: string;
    let adminClient: ApiClient;

    const findings = (haystack: string | Buffer, where: string) => {
      const found: string[] = [];
      for (const [label, value] of secrets) {
        const hit = typeof haystack === 'string' ? haystack.includes(value) : haystack.indexOf(value) !== -1;
        if (hit) found.push(`${label} in ${where}`);
      }
      return found;
    };

    before(async () => {
      server = await startServer({
        dialect: dialect.name,
        env: { LOG_LEVEL: 'debug', LOGIN_ATTEMPTS_PER_MINUTE: '1000' },
      });
      globalThis.fetch = (input, init) => {
        requestedUrls.push(String(input instanceof Request ? input.url : input));
        return realFetch(input, init);
      };
      try {
        const admin = await setupAdmin(server.url);
        adminClient = admin.client;
        orgId = admin.orgId;
        secrets.set('admin password', PASSWORD);
        secrets.set('admin session id', (admin.client.sessionCookie as string).split('=')[1] as string);

        const { inviteToken } = await invite(admin, `${unique('member')}@example.com`, 'rol_readwrite');
        secrets.set('invite token', inviteToken);
        const memberClient = new ApiClient(server.url);
        const accepted = await memberClient.post('/v1/auth/accept-invite', {
          inviteToken,
          password: MEMBER_PASSWORD,
          name: 'Mo Member',
        });
        assert.equal(accepted.status, 200, JSON.stringify(accepted.body));
        secrets.set('member password', MEMBER_PASSWORD);
        const member = {
          client: memberClient,
          orgId,
          userId: accepted.body.user.id,
          email: accepted.body.user.email,
        };

        const resource = await admin.client.post(`/v1/orgs/${orgId}/resources`, {
          type: 'shard',
          name: 'testnet-1',
        });
        const granular = await createToken(admin, { permissions: ['blocks:read', 'tokens:read'] });
        const full = await createToken(admin, { access: 'full', permissions: undefined, description: 'ci' });
        const limited = await createToken(admin, {
          resourceIds: [resource.body.id],
          allowedIps: ['127.0.0.1/32', '::1'],
          rateLimit: { limit: 100, windowSeconds: 60 },
        });
        const app = await createToken(admin, { kind: 'application', permissions: ['blocks:read'] });
        const mine = await createToken(member, { deliver: { email: true } });
        for (const [label, t] of Object.entries({ granular, full, limited, app, mine })) {
          secrets.set(`token ${label}`, t.token);
        }
        // One-time links (issue 17): one left pending (its ciphertext stays in reveal_links), one opened.
        for (const state of ['pending', 'opened']) {
          const linked = await admin.client.post(`/v1/orgs/${orgId}/tokens`, {
            name: unique('linked'),
            access: 'granular',
            permissions: ['blocks:read'],
            deliver: { link: { ttl: '15m' } },
          });
          assert.equal(linked.status, 201, JSON.stringify(linked.body));
          const key = new URL(linked.body.link.url).hash.slice(1);
          secrets.set(`token behind a ${state} link`, linked.body.token);
          secrets.set(`key of a ${state} link`, key);
          if (state === 'opened') {
            const opened = await new ApiClient(server.url).post('/v1/reveal', { key });
            assert.equal(opened.body.status, 'revealed');
          }
        }

        const rotated = await admin.client.post(`/v1/orgs/${orgId}/tokens/${granular.id}/rotate`, {
          gracePeriod: '1h',
        });
        assert.equal(rotated.status, 200, JSON.stringify(rotated.body));
        secrets.set('rotated token', rotated.body.token);

        for (const value of [granular.token, rotated.body.token, full.token, app.token, mine.token]) {
          assert.equal(
            (await verify(server.url, { token: value, permission: 'blocks:read' })).body.valid,
            true,
          );
        }
        assert.equal(
          (
            await verify(server.url, {
              token: limited.token,
              permission: 'blocks:read',
              resource: resource.body.id,
            })
          ).body.valid,
          true,
        );
        assert.equal(
          (await verify(server.url, { token: mine.token, permission: 'transactions:write' })).body.code,
          'FORBIDDEN',
        );
        // Bearer use of the management API.
        assert.equal(
          (await admin.client.withToken(rotated.body.token).get(`/v1/orgs/${orgId}/tokens`)).status,
          200,
        );
        assert.equal((await admin.client.withToken(full.token).get('/v1/auth/session')).status, 200);

        assert.equal((await admin.client.delete(`/v1/orgs/${orgId}/tokens/${limited.id}`)).status, 200);
        assert.equal((await verify(server.url, { token: limited.token })).body.code, 'REVOKED');
        // An unsigned leak report needs a caller who could revoke the token.
        const leak = await admin.client.post('/v1/leaks', { tokens: [app.token] });
        assert.equal(leak.status, 200);

        const again = await signIn(server.url, member.email, MEMBER_PASSWORD);
        secrets.set('member second session id', (again.sessionCookie as string).split('=')[1] as string);
        const csrf = (await again.get('/v1/auth/session')).body.csrfToken as string;
        secrets.set('member csrf token', csrf);
        assert.equal((await again.post('/v1/auth/logout')).status, 204);
        const wrong = await new ApiClient(server.url).post('/v1/auth/login', {
          email: member.email,
          password: `${MEMBER_PASSWORD}-typo`,
        });
        assert.equal(wrong.status, 401);
        secrets.set('mistyped password', `${MEMBER_PASSWORD}-typo`);

        // Usage is written in batches; wait until it reached the database.
        await waitFor(
          async () =>
            (await admin.client.get(`/v1/orgs/${orgId}/tokens/${full.id}`)).body.lastUsedAt !== null,
          { what: 'usage to be flushed' },
        );
      } finally {
        globalThis.fetch = realFetch;
      }
      secrets.set('server secret', readFileSync(join(server.dataDir, 'server-secret'), 'utf8').trim());
    });

    after(async () => {
      globalThis.fetch = realFetch;
      await server?.close();
    });

    test('the workflow produced the secrets this suite looks for', () => {
      assert.ok(secrets.size >= 13, [...secrets.keys()].join(', '));
      for (const [label, value] of secrets) assert.ok(value.length >= 10, label);
    });

    test('no token value, password, invite token, session id or server secret is stored in the database', async () => {
      const found: string[] = [];
      // The scan covers the one-time links' table with a ciphertext in it (issue 17).
      const links = await server.deps.db.selectFrom('revealLinks').selectAll().execute();
      assert.ok(links.some((l) => l.ciphertext !== null) && links.some((l) => l.openedAt !== null));
      if (dialect.name === 'postgres') {
        const dump = await postgresDump(server.databaseUrl as string);
        assert.ok(dump.includes(orgId), 'the dump holds the data');
        found.push(...findings(dump, 'the database'));
      }
      const files = dataFiles(server.dataDir);
      if (dialect.name === 'sqlite') {
        assert.ok(
          files.some((f) => f.endsWith('latchkey.db')),
          `files read: ${files.join(', ')}`,
        );
        const everything = Buffer.concat(files.map((f) => readFileSync(f)));
        assert.ok(everything.indexOf(orgId) !== -1, 'the files hold the data');
      }
      for (const file of files) found.push(...findings(readFileSync(file), relative(server.dataDir, file)));
      assert.deepEqual(found, []);
    });

    test('no secret appears in the server logs, even at debug level', () => {
      const logs = server.logs.join('');
      assert.ok(server.logs.length > 20, 'the server logged the workflow');
      assert.deepEqual(findings(logs, 'the logs'), []);
    });

    test('no secret appears in the audit events', async () => {
      const answer = await adminClient.get(`/v1/orgs/${orgId}/audit?limit=100`);
      assert.equal(answer.status, 200);
      assert.ok(answer.body.items.length >= 10);
      assert.deepEqual(findings(JSON.stringify(answer.body), 'the audit log'), []);
    });

    test('no secret appears in /metrics', async () => {
      const answer = await realFetch(`${server.url}/metrics`);
      const text = await answer.text();
      assert.equal(answer.status, 200);
      assert.match(text, /latchkey_verifications_total/);
      assert.deepEqual(findings(text, '/metrics'), []);
    });

    test('no secret appears in any URL the client requested', () => {
      assert.ok(requestedUrls.length > 20);
      assert.deepEqual(findings(requestedUrls.join('\n'), 'a requested URL'), []);
    });

    test('token lists show only the hint: prefix and last 4 characters', async () => {
      const answer = await adminClient.get(`/v1/orgs/${orgId}/tokens?limit=100`);
      assert.deepEqual(findings(JSON.stringify(answer.body), 'the token list'), []);
      const full = secrets.get('token full') as string;
      const item = answer.body.items.find((t: { hint: string }) => t.hint === `lk_…${full.slice(-4)}`);
      assert.ok(item, 'the hint of the full token');
    });
  });
}
