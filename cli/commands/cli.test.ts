import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Latchkey } from '@latchkey/sdk';
import { startServer } from '../../test/helpers/server.ts';

const root = resolve(fileURLToPath(import.meta.url), '../../..');
const bin = join(root, 'bin/latchkey.js');

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

describe('the latchkey CLI, run as a child process against a real server', () => {
  let server: { url: string; close(): Promise<void> };
  let configHome: string;
  let adminToken: string;
  let org: string;

  const latchkey = (args: string[], env: Record<string, string> = {}): Promise<Run> =>
    new Promise((done) => {
      execFile(
        process.execPath,
        [bin, ...args],
        {
          cwd: root,
          env: { PATH: process.env.PATH ?? '', HOME: configHome, XDG_CONFIG_HOME: configHome, ...env },
          timeout: 30_000,
        },
        (error, stdout, stderr) => {
          const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
          done({ code, stdout, stderr });
        },
      );
    });
  const json = <T>(run: Run): T => {
    assert.equal(run.code, 0, run.stderr);
    return JSON.parse(run.stdout) as T;
  };

  before(async () => {
    server = await startServer();
    configHome = await mkdtemp(join(tmpdir(), 'latchkey-cli-'));
    const admin = new Latchkey({ baseUrl: server.url });
    await admin.auth.setup({
      email: 'ada@example.com',
      password: 'correct horse battery staple',
      name: 'Ada',
      orgName: 'Acme',
    });
    const session = await admin.auth.session();
    org = session.orgs[0]?.id ?? '';
    adminToken = (await admin.tokens.create(org, { name: 'cli-admin', access: 'full', expiresIn: '300d' }))
      .token;
  });
  after(async () => {
    await server.close();
    await rm(configHome, { recursive: true, force: true });
  });

  test('login stores the server and token with mode 0600; whoami reads them back', async () => {
    const login = await latchkey(['login', '--url', server.url, '--token', adminToken]);
    assert.equal(login.code, 0, login.stderr);
    assert.ok(!login.stdout.includes(adminToken), 'the token is not echoed');
    const file = join(configHome, 'latchkey', 'config.json');
    assert.equal((await stat(file)).mode & 0o777, 0o600);
    const saved = JSON.parse(await readFile(file, 'utf8')) as { url: string; token: string; org: string };
    assert.deepEqual(saved, { url: server.url, token: adminToken, org });
    const who = json<{ user: { email: string }; org: string }>(await latchkey(['whoami', '--json']));
    assert.equal(who.user.email, 'ada@example.com');
    assert.equal(who.org, org);
    const table = await latchkey(['whoami']);
    assert.match(table.stdout, /ada@example\.com/);
  });

  test('create → list → verify → revoke, with the value printed only by create', async () => {
    const created = json<{ token: string; clientId: string; tokenInfo: { name: string } }>(
      await latchkey([
        'tokens',
        'create',
        '--name',
        'indexer',
        '--permission',
        'blocks:read',
        '--expires-in',
        '30d',
        '--json',
      ]),
    );
    assert.match(created.token, /^lk_/);
    assert.equal(created.tokenInfo.name, 'indexer');

    const [listTable, listJson, shown, valid, forbidden, verdictRun] = await Promise.all([
      latchkey(['tokens', 'list']),
      latchkey(['tokens', 'list', '--json']),
      latchkey(['tokens', 'show', created.clientId]),
      latchkey(['verify', created.token, '--permission', 'blocks:read']),
      latchkey(['verify', created.token, '--permission', 'transactions:write']),
      latchkey(['verify', created.token, '--json']),
    ]);
    assert.equal(listTable.code, 0, listTable.stderr);
    assert.match(listTable.stdout, /indexer/);
    assert.ok(!listTable.stdout.includes(created.token));
    const listed = json<{ items: Array<{ id: string }> }>(listJson);
    assert.ok(listed.items.some((t) => t.id === created.clientId));
    assert.ok(!JSON.stringify(listed).includes(created.token));
    assert.equal(shown.code, 0, shown.stderr);
    assert.match(shown.stdout, /indexer/);
    assert.ok(!shown.stdout.includes(created.token));

    assert.equal(valid.code, 0, valid.stderr);
    assert.equal(forbidden.code, 1);
    assert.match(forbidden.stdout, /FORBIDDEN/);
    assert.equal((JSON.parse(verdictRun.stdout) as { valid: boolean }).valid, true);

    const revoked = await latchkey(['tokens', 'revoke', created.clientId]);
    assert.equal(revoked.code, 0, revoked.stderr);
    const after = await latchkey(['verify', created.token, '--json']);
    assert.equal(after.code, 1);
    assert.deepEqual(JSON.parse(after.stdout), { valid: false, code: 'REVOKED' });
  });

  test('every option of create reaches the API; --csv writes the value to a 0600 file instead', async () => {
    const shard = json<{ id: string }>(
      await latchkey(['resources', 'add', '--type', 'shard', '--name', 'testnet-1', '--json']),
    );
    const csv = join(configHome, 'token.csv');
    const run = await latchkey([
      'tokens',
      'create',
      '--name',
      'limited',
      '--permission',
      'blocks:read',
      '--permission',
      'chunks:read',
      '--resource',
      shard.id,
      '--allowed-ip',
      '10.0.0.0/8',
      '--rate-limit',
      '100/60s',
      '--expires-in',
      '7d',
      '--description',
      'for the indexer',
      '--kind',
      'application',
      '--csv',
      csv,
    ]);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /written to/);
    assert.equal((await stat(csv)).mode & 0o777, 0o600);
    const text = await readFile(csv, 'utf8');
    assert.ok(
      text.endsWith('\r\n'),
      'the token CSV has CRLF line endings (RFC 4180), as the console writes it',
    );
    const [header, row] = text.trim().split('\r\n');
    assert.equal(header, 'client_id,token,name,permissions,resources,expires_at');
    const [clientId, value] = (row ?? '').split(',');
    assert.ok(!run.stdout.includes(value ?? '!'), 'with --csv the value is not printed');
    const info = json<{
      kind: string;
      permissions: string[];
      resourceIds: string[];
      allowedIps: string[];
      rateLimit: unknown;
      description: string;
    }>(await latchkey(['tokens', 'show', clientId ?? '', '--json']));
    assert.deepEqual([...info.permissions].sort(), ['blocks:read', 'chunks:read']);
    assert.deepEqual(info.resourceIds, [shard.id]);
    assert.deepEqual(info.allowedIps, ['10.0.0.0/8']);
    assert.deepEqual(info.rateLimit, { limit: 100, windowSeconds: 60 });
    assert.equal(info.description, 'for the indexer');
    assert.equal(info.kind, 'application');
  });

  test('rotate prints the new value once; the old one stops working', async () => {
    const created = json<{ token: string; clientId: string }>(
      await latchkey(['tokens', 'create', '--name', 'rotating', '--full', '--json']),
    );
    const rotated = json<{ token: string; clientId: string }>(
      await latchkey(['tokens', 'rotate', created.clientId, '--json']),
    );
    assert.equal(rotated.clientId, created.clientId);
    assert.notEqual(rotated.token, created.token);
    const [fresh, old] = await Promise.all([
      latchkey(['verify', rotated.token]),
      latchkey(['verify', created.token]),
    ]);
    assert.equal(fresh.code, 0);
    assert.equal(old.code, 1);
  });

  test('orgs, members, roles and resources list as tables and as JSON', async () => {
    const [orgsJson, orgsTable, members, rolesJson, resources, permissions] = await Promise.all([
      latchkey(['orgs', '--json']),
      latchkey(['orgs']),
      latchkey(['members']),
      latchkey(['roles', 'list', '--json']),
      latchkey(['resources']),
      latchkey(['permissions']),
    ]);
    assert.ok(json<{ items: Array<{ id: string }> }>(orgsJson).items.some((o) => o.id === org));
    assert.match(orgsTable.stdout, /Acme/);
    assert.match(members.stdout, /ada@example\.com/);
    assert.ok(json<{ items: Array<{ id: string }> }>(rolesJson).items.some((r) => r.id === 'rol_readonly'));
    assert.match(resources.stdout, /testnet-1/);
    assert.match(permissions.stdout, /blocks:read/);
  });

  test('errors print the API code and message and exit non-zero', async () => {
    const [missing, asJson, session] = await Promise.all([
      latchkey(['tokens', 'show', 'tok_doesnotexist']),
      latchkey(['tokens', 'show', 'tok_doesnotexist', '--json']),
      latchkey(['roles', 'add', '--name', 'x', '--permission', 'blocks:read']),
    ]);
    assert.notEqual(missing.code, 0);
    assert.match(missing.stderr, /NOT_FOUND/);
    assert.notEqual(asJson.code, 0);
    assert.equal((JSON.parse(asJson.stdout) as { error: { code: string } }).error.code, 'NOT_FOUND');
    assert.match(session.stderr, /SESSION_REQUIRED/);
    const conflict = await latchkey(['tokens', 'create', '--name', 'dup', '--full']);
    assert.equal(conflict.code, 0, conflict.stderr);
    const again = await latchkey(['tokens', 'create', '--name', 'dup', '--full']);
    assert.notEqual(again.code, 0);
    assert.match(again.stderr, /CONFLICT/);
  });

  test('LATCHKEY_URL and LATCHKEY_TOKEN override the config; logout forgets it', async () => {
    const who = await latchkey(['whoami', '--json'], {
      LATCHKEY_URL: server.url,
      LATCHKEY_TOKEN: adminToken,
    });
    assert.equal(who.code, 0, who.stderr);
    const out = await latchkey(['logout']);
    assert.equal(out.code, 0);
    const after = await latchkey(['tokens', 'list']);
    assert.notEqual(after.code, 0);
    assert.match(after.stderr, /latchkey login/);
  });

  test('login reads the token from standard input when it is not a terminal', async () => {
    const home = await mkdtemp(join(tmpdir(), 'latchkey-cli-stdin-'));
    try {
      const code = await new Promise<number>((done) => {
        const child = spawn(process.execPath, [bin, 'login', '--url', server.url], {
          cwd: root,
          env: { PATH: process.env.PATH ?? '', HOME: home, XDG_CONFIG_HOME: home },
          stdio: ['pipe', 'ignore', 'inherit'],
        });
        child.stdin.end(`${adminToken}\n`);
        child.on('exit', (exit) => done(exit ?? 1));
      });
      assert.equal(code, 0);
      const saved = JSON.parse(await readFile(join(home, 'latchkey', 'config.json'), 'utf8')) as {
        token: string;
      };
      assert.equal(saved.token, adminToken);
    } finally {
      await rm(home, { recursive: true, force: true });
    }
  });

  test('--help shows examples', async () => {
    const help = await latchkey(['tokens', 'create', '--help']);
    assert.match(help.stdout, /Examples:/);
    assert.match(help.stdout, /--expires-in/);
  });
});
