// The webhooks, invites and outbox commands (and `login --email`, which they need), run as child
// processes against a real server, with a real node:http receiver for the webhook deliveries.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Latchkey, verifyWebhookSignature } from '@latchkey/sdk';
import { startServer, type TestServer } from '../../test/helpers/server.ts';

const root = resolve(fileURLToPath(import.meta.url), '../../..');
const bin = join(root, 'bin/latchkey.js');
const EMAIL = 'ada@example.com';
const PASSWORD = 'correct horse battery staple';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

describe('the webhooks, invites and outbox commands, run as child processes against a real server', () => {
  let server: TestServer;
  let tokenHome: string; // logged in with a full-access token
  let sessionHome: string; // logged in with `login --email`
  let org: string;
  const received: Array<{ headers: IncomingHttpHeaders; body: string }> = [];
  const receiver = createServer(async (req, res) => {
    let body = '';
    for await (const chunk of req) body += chunk;
    received.push({ headers: req.headers, body });
    res.writeHead(200).end('ok');
  });
  let receiverUrl: string;

  const latchkey = (home: string, args: string[], env: Record<string, string> = {}): Promise<Run> =>
    new Promise((done) => {
      execFile(
        process.execPath,
        [bin, ...args],
        {
          cwd: root,
          env: { PATH: process.env.PATH ?? '', HOME: home, XDG_CONFIG_HOME: home, ...env },
          timeout: 30_000,
        },
        (error, stdout, stderr) => {
          const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
          done({ code, stdout, stderr });
        },
      );
    });
  const asSession = (args: string[]) => latchkey(sessionHome, args);
  const asToken = (args: string[]) => latchkey(tokenHome, args);
  const json = <T>(run: Run): T => {
    assert.equal(run.code, 0, run.stderr || run.stdout);
    return JSON.parse(run.stdout) as T;
  };

  before(async () => {
    await new Promise<void>((ready) => receiver.listen(0, '127.0.0.1', ready));
    receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks`;
    server = await startServer({
      env: {
        WORKER_INTERVAL_MS: '50',
        LOGIN_ATTEMPTS_PER_MINUTE: '1000',
        WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true',
      },
    });
    tokenHome = await mkdtemp(join(tmpdir(), 'latchkey-cli-token-'));
    sessionHome = await mkdtemp(join(tmpdir(), 'latchkey-cli-session-'));
    const admin = new Latchkey({ baseUrl: server.url });
    await admin.auth.setup({ email: EMAIL, password: PASSWORD, name: 'Ada', orgName: 'Acme' });
    org = (await admin.auth.session()).orgs[0]?.id ?? '';
    const token = (await admin.tokens.create(org, { name: 'cli-admin', access: 'full', expiresIn: '300d' }))
      .token;
    const [byToken, bySession] = await Promise.all([
      latchkey(tokenHome, ['login', '--url', server.url, '--token', token]),
      latchkey(sessionHome, ['login', '--url', server.url, '--email', EMAIL], {
        LATCHKEY_PASSWORD: PASSWORD,
      }),
    ]);
    assert.equal(byToken.code, 0, byToken.stderr);
    assert.equal(bySession.code, 0, bySession.stderr);
  });
  after(async () => {
    await server?.close();
    receiver.closeAllConnections();
    await new Promise((done) => receiver.close(done));
    await rm(tokenHome, { recursive: true, force: true });
    await rm(sessionHome, { recursive: true, force: true });
  });

  test('login --email keeps a session (0600, no password) that whoami reads back', async () => {
    const file = join(sessionHome, 'latchkey', 'config.json');
    assert.equal((await stat(file)).mode & 0o777, 0o600);
    const saved = JSON.parse(await readFile(file, 'utf8')) as Record<string, string>;
    assert.match(saved.session ?? '', /lk_session=/);
    assert.equal(saved.token, undefined);
    assert.equal(saved.org, org);
    assert.ok(!JSON.stringify(saved).includes(PASSWORD));
    const who = json<{ user: { email: string }; token: unknown }>(await asSession(['whoami', '--json']));
    assert.equal(who.user.email, EMAIL);
    const wrong = await latchkey(
      await mkdtemp(join(tmpdir(), 'latchkey-cli-wrong-')),
      ['login', '--url', server.url, '--email', EMAIL],
      { LATCHKEY_PASSWORD: 'not the password' },
    );
    assert.equal(wrong.code, 1);
    assert.match(wrong.stderr, /UNAUTHENTICATED/);
  });

  test('webhooks add prints the secret once; list, show, update never do; a token may read but not add', async () => {
    const refused = await asToken(['webhooks', 'add', receiverUrl, '--event', 'token.*']);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /SESSION_REQUIRED/);
    const noEvent = await asSession(['webhooks', 'add', receiverUrl]);
    assert.equal(noEvent.code, 1);
    assert.match(noEvent.stderr, /VALIDATION_FAILED/);

    const added = await asSession([
      'webhooks',
      'add',
      receiverUrl,
      '--event',
      'token.*',
      '--event',
      'member.removed',
      '--description',
      'from the cli',
    ]);
    assert.equal(added.code, 0, added.stderr);
    const secret = /whsec_[A-Za-z0-9_-]+/.exec(added.stdout)?.[0];
    assert.ok(secret, 'the table output holds the secret');
    const id = /whk_[0-9A-Za-z]+/.exec(added.stdout)?.[0] ?? '';
    assert.ok(id);

    const [listTable, listJson, showTable, showJson] = await Promise.all([
      asToken(['webhooks']),
      asToken(['webhooks', 'list', '--json']),
      asToken(['webhooks', 'show', id]),
      asSession(['webhooks', 'show', id, '--json']),
    ]);
    const updated = await asSession(['webhooks', 'update', id, '--description', 'renamed', '--json']);
    for (const run of [listTable, listJson, showTable, showJson, updated]) {
      assert.equal(run.code, 0, run.stderr);
      assert.ok(!run.stdout.includes(secret), 'the secret is printed only by add');
    }
    assert.match(listTable.stdout, new RegExp(id));
    assert.match(listTable.stdout, /token\.\*, member\.removed/);
    assert.ok(json<{ items: Array<{ id: string }> }>(listJson).items.some((h) => h.id === id));
    assert.match(showTable.stdout, /from the cli/);
    assert.deepEqual(json<{ events: string[] }>(showJson).events, ['token.*', 'member.removed']);
    assert.equal(json<{ description: string }>(updated).description, 'renamed');

    // The secret verifies a real delivery.
    const created = json<{ clientId: string }>(
      await asToken(['tokens', 'create', '--name', 'hooked', '--full', '--json']),
    );
    const start = Date.now();
    while (!received.some((r) => r.body.includes(created.clientId)) && Date.now() - start < 5000)
      await new Promise((r) => setTimeout(r, 20));
    const delivery = received.find((r) => r.body.includes(created.clientId));
    assert.ok(delivery, 'the token.created delivery arrived');
    assert.equal(verifyWebhookSignature(secret, delivery.headers['latchkey-signature'], delivery.body), true);

    const asJson = json<{ id: string; secret: string }>(
      await asSession(['webhooks', 'add', receiverUrl, '--event', '*', '--json']),
    );
    assert.match(asJson.secret, /^whsec_/);
    assert.equal((await asSession(['webhooks', 'remove', asJson.id])).code, 0);
  });

  test('webhooks ping --wait reports the outcome; deliveries lists it, pages and prints JSON', async () => {
    const hook = json<{ id: string }>(
      await asSession(['webhooks', 'add', receiverUrl, '--event', 'role.*', '--json']),
    );
    const queued = await asSession(['webhooks', 'ping', hook.id]);
    assert.equal(queued.code, 0, queued.stderr);
    assert.match(queued.stdout, /Queued ping dlv_/);
    const waited = json<{ id: string; status: string; responseCode: number }>(
      await asSession(['webhooks', 'ping', hook.id, '--wait', '--json']),
    );
    assert.equal(waited.status, 'sent');
    assert.equal(waited.responseCode, 200);
    assert.ok(received.some((r) => r.headers['latchkey-delivery'] === waited.id));

    const [log, logJson, first, all] = await Promise.all([
      asToken(['webhooks', 'deliveries', hook.id]),
      asToken(['webhooks', 'deliveries', hook.id, '--json']),
      asToken(['webhooks', 'deliveries', hook.id, '--limit', '1']),
      asToken(['webhooks', 'deliveries', hook.id, '--limit', '1', '--all', '--json']),
    ]);
    assert.equal(log.code, 0, log.stderr);
    assert.match(log.stdout, new RegExp(waited.id));
    assert.match(log.stdout, /ping/);
    const items = json<{ items: Array<{ id: string; event: string }> }>(logJson).items;
    assert.equal(items.length, 2);
    assert.match(first.stdout, /More: latchkey webhooks deliveries whk_\w+ --cursor dlv_/);
    const every = json<{ items: Array<{ id: string }>; nextCursor: null }>(all);
    assert.deepEqual(
      every.items.map((d) => d.id),
      items.map((d) => d.id),
    );
    assert.equal(every.nextCursor, null);
  });

  test('webhooks update --disable stops pings, --enable resumes; remove; errors exit 1 with the code', async () => {
    const hook = json<{ id: string }>(
      await asSession(['webhooks', 'add', receiverUrl, '--event', 'member.*', '--json']),
    );
    const disabled = json<{ enabled: boolean; disabledReason: string }>(
      await asSession(['webhooks', 'update', hook.id, '--disable', '--json']),
    );
    assert.equal(disabled.enabled, false);
    const ping = await asSession(['webhooks', 'ping', hook.id, '--json']);
    assert.equal(ping.code, 1);
    assert.equal(JSON.parse(ping.stdout).error.code, 'CONFLICT');
    const enabled = await asSession(['webhooks', 'update', hook.id, '--enable']);
    assert.equal(enabled.code, 0, enabled.stderr);
    assert.match(enabled.stdout, /Enabled\s*│\s*yes/);
    const nothing = await asSession(['webhooks', 'update', hook.id]);
    assert.equal(nothing.code, 1);
    assert.match(nothing.stderr, /Nothing to change/);
    const tokenRemove = await asToken(['webhooks', 'remove', hook.id]);
    assert.match(tokenRemove.stderr, /SESSION_REQUIRED/);
    const removed = await asSession(['webhooks', 'remove', hook.id]);
    assert.equal(removed.code, 0, removed.stderr);
    const gone = await asToken(['webhooks', 'show', hook.id]);
    assert.equal(gone.code, 1);
    assert.match(gone.stderr, /NOT_FOUND/);
  });

  test('invites list and cancel; the outbox lists and shows the invitation mail', async () => {
    const invited = await asSession(['members', 'add', '--email', 'bo@example.com']);
    assert.equal(invited.code, 0, invited.stderr);
    const [table, listed] = await Promise.all([
      asToken(['invites']),
      asToken(['invites', 'list', '--all', '--json']),
    ]);
    assert.match(table.stdout, /bo@example\.com/);
    assert.match(table.stdout, /Read Only/, 'the role by its name (the cell may wrap)');
    const invite = json<{ items: Array<{ id: string; email: string }> }>(listed).items.find(
      (i) => i.email === 'bo@example.com',
    );
    assert.ok(invite);

    const outboxToken = await asToken(['outbox']);
    assert.equal(outboxToken.code, 1);
    assert.match(outboxToken.stderr, /SESSION_REQUIRED/);
    // The invitation mail is queued: wait for the worker (in the test process), then ask the CLI.
    const admin = new Latchkey({ baseUrl: server.url });
    await admin.auth.login({ email: EMAIL, password: PASSWORD });
    const start = Date.now();
    while (
      !(await admin.outbox.list()).items.some((m) => m.to === 'bo@example.com') &&
      Date.now() - start < 5000
    )
      await new Promise((r) => setTimeout(r, 50));
    const page = json<{ items: Array<{ id: string; to: string; kind: string }>; transport: string }>(
      await asSession(['outbox', '--json']),
    );
    assert.equal(page.transport, 'outbox');
    const mail = page.items.find((m) => m.to === 'bo@example.com');
    assert.ok(mail, 'the invitation mail is in the outbox');
    assert.equal(mail.kind, 'invite');
    const [outboxTable, shown, shownJson, missing] = await Promise.all([
      asSession(['outbox', 'list', '--limit', '5']),
      asSession(['outbox', 'show', mail.id]),
      asSession(['outbox', 'show', mail.id, '--json']),
      asSession(['outbox', 'show', 'nosuchmail']),
    ]);
    assert.match(outboxTable.stdout, /bo@example\.com/);
    assert.match(outboxTable.stdout, /invite/);
    assert.equal(shown.code, 0, shown.stderr);
    assert.match(shown.stdout, /accept-invite/);
    assert.equal(json<{ id: string }>(shownJson).id, mail.id);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /NOT_FOUND/);

    const byToken = await asToken(['invites', 'cancel', invite.id]);
    assert.match(byToken.stderr, /SESSION_REQUIRED/);
    const cancelled = await asSession(['invites', 'cancel', invite.id]);
    assert.equal(cancelled.code, 0, cancelled.stderr);
    const after = await asToken(['invites', '--json']);
    assert.ok(!json<{ items: Array<{ id: string }> }>(after).items.some((i) => i.id === invite.id));
    const again = await asSession(['invites', 'cancel', invite.id, '--json']);
    assert.equal(again.code, 1);
    assert.equal(JSON.parse(again.stdout).error.code, 'NOT_FOUND');
  });

  test('roles list pages; orgs show tells the unused-token notices', async () => {
    const [page, all, shown] = await Promise.all([
      asToken(['roles', 'list', '--limit', '2']),
      asToken(['roles', 'list', '--limit', '1', '--all', '--json']),
      asToken(['orgs', 'show']),
    ]);
    assert.match(page.stdout, /More: latchkey roles list --cursor/);
    const ids = json<{ items: Array<{ id: string }> }>(all).items.map((r) => r.id);
    assert.deepEqual(ids.slice(0, 3).sort(), ['rol_admin', 'rol_readonly', 'rol_readwrite']);
    assert.match(shown.stdout, /unused tokens\s*│\s*off/);
  });

  test('--help of the new commands shows examples', async () => {
    // One child per command group's leaves would cost a second each; these cover each file's helpers.
    const commands = [
      ['webhooks', 'add'],
      ['webhooks', 'update'],
      ['invites', 'cancel'],
      ['outbox', 'show'],
    ];
    const runs = await Promise.all(commands.map((c) => asToken([...c, '--help'])));
    for (const [index, run] of runs.entries()) {
      assert.equal(run.code, 0, run.stderr);
      assert.match(run.stdout, /Examples:/, commands[index]?.join(' '));
      assert.match(run.stdout, /--json/);
    }
  });

  test('logout of a session ends it on the server too', async () => {
    const file = join(sessionHome, 'latchkey', 'config.json');
    const cookie = (JSON.parse(await readFile(file, 'utf8')) as { session: string }).session;
    const out = await asSession(['logout']);
    assert.equal(out.code, 0, out.stderr);
    const stale = new Latchkey({ baseUrl: server.url, cookie });
    await assert.rejects(
      stale.auth.session(),
      (error: { code?: string }) => error.code === 'UNAUTHENTICATED',
    );
  });
});
