// Shared by the CLI tests: runs `node bin/latchkey.js …` as a child process against a real server
// (test/helpers/server.ts) set up with a first user, Ada, logged in twice: with her full-access token
// and with `login --email` (a console session).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Latchkey } from '@latchkey/sdk';
import { startServer, type TestServer } from '../../test/helpers/server.ts';

const root = resolve(fileURLToPath(import.meta.url), '../../..');
const bin = join(root, 'bin/latchkey.js');
export const EMAIL = 'ada@example.com';
export const PASSWORD = 'correct horse battery staple';

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs the CLI with `home` as its HOME and XDG_CONFIG_HOME (where `login` keeps its config), and
 * `input` (if any) on its standard input.
 */
export const latchkey = (
  home: string,
  args: string[],
  env: Record<string, string> = {},
  input?: string,
): Promise<Run> =>
  new Promise((done) => {
    const child = execFile(
      process.execPath,
      [bin, ...args],
      {
        cwd: root,
        env: { PATH: process.env.PATH ?? '', HOME: home, XDG_CONFIG_HOME: home, ...env },
        timeout: 60_000,
      },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        done({ code, stdout, stderr });
      },
    );
    child.stdin?.end(input ?? '');
  });

export const ok = (run: Run): Run => {
  assert.equal(run.code, 0, `exit ${run.code}\n${run.stderr}${run.stdout}`);
  return run;
};
export const json = <T>(run: Run): T => JSON.parse(ok(run).stdout) as T;
export const failed = (run: Run): Run => {
  assert.notEqual(run.code, 0, `expected a failure, got\n${run.stdout}`);
  return run;
};

/** A string as a regular expression that matches it literally. */
export const literal = (text: string) => new RegExp(text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));

export interface TokenJson {
  id: string;
  name: string;
  status: string;
  access: string;
  permissions: string[] | null;
  roleId: string | null;
  resourceIds: string[] | null;
  allowedIps: string[] | null;
  rateLimit: { limit: number; windowSeconds: number } | null;
  expiresAt: string | null;
  description: string | null;
  revokedReason: string | null;
  previousValueExpiresAt?: string | null;
}
export interface Issued {
  token: string;
  clientId: string;
  tokenInfo: TokenJson;
}

export interface CliWorld {
  server: TestServer;
  org: string;
  adminToken: string;
  /** The CLI logged in with Ada's full-access token `cli-admin`. */
  asToken(args: string[], env?: Record<string, string>, input?: string): Promise<Run>;
  /** The CLI logged in with `login --email` as Ada. */
  asSession(args: string[]): Promise<Run>;
  /** A new empty config home, removed by close(). */
  freshHome(): Promise<string>;
  /** The id of a resource given as `type/name`. */
  resourceId(typed: string): Promise<string>;
  close(): Promise<void>;
}

/** A server with Ada (admin of Acme), the two logins, and the resources shard/testnet-1, database/testnet-1, shard/mainnet. */
export async function startCliWorld(env: Record<string, string> = {}): Promise<CliWorld> {
  const server = await startServer({ env: { LOGIN_ATTEMPTS_PER_MINUTE: '1000', ...env } });
  const homes: string[] = [];
  const freshHome = async () => {
    const home = await mkdtemp(join(tmpdir(), 'latchkey-cli-home-'));
    homes.push(home);
    return home;
  };
  const [tokenHome, sessionHome] = [await freshHome(), await freshHome()];
  const admin = new Latchkey({ baseUrl: server.url });
  await admin.auth.setup({ email: EMAIL, password: PASSWORD, name: 'Ada', orgName: 'Acme' });
  const org = (await admin.auth.session()).orgs[0]?.id ?? '';
  const adminToken = (
    await admin.tokens.create(org, { name: 'cli-admin', access: 'full', expiresIn: '300d' })
  ).token;
  await Promise.all(
    [
      ['shard', 'testnet-1'],
      ['database', 'testnet-1'],
      ['shard', 'mainnet'],
    ].map(([type, name]) => admin.resources.create(org, { type: type ?? '', name: name ?? '' })),
  );
  const [byToken, bySession] = await Promise.all([
    latchkey(tokenHome, ['login', '--url', server.url, '--token', adminToken]),
    latchkey(sessionHome, ['login', '--url', server.url, '--email', EMAIL], { LATCHKEY_PASSWORD: PASSWORD }),
  ]);
  ok(byToken);
  ok(bySession);
  return {
    server,
    org,
    adminToken,
    asToken: (args, extra = {}, input) => latchkey(tokenHome, args, extra, input),
    asSession: (args) => latchkey(sessionHome, args),
    freshHome,
    async resourceId(typed) {
      const [type, name] = typed.split('/');
      const found = (await admin.resources.list(org, { limit: 100 })).items.find(
        (r) => r.type === type && r.name === name,
      );
      assert.ok(found, typed);
      return found.id;
    },
    async close() {
      await server.close();
      await Promise.all(homes.map((home) => rm(home, { recursive: true, force: true })));
    },
  };
}
