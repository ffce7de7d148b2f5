import { createInterface } from 'node:readline/promises';
import { isTwoFactorChallenge, Latchkey } from '@latchkey/sdk';
import { isWellFormedToken, tokenHint } from '@latchkey/sdk/rules';
import type { Command } from 'commander';
import { configPath, readConfig, removeConfig, writeConfig } from './config.ts';
import {
  CliError,
  type CommonOptions,
  connect,
  examples,
  formatList,
  printJson,
  printRecord,
  printTable,
  resolveOrg,
  run,
  withCommon,
} from './context.ts';
import { listMembers, roleNames } from './resolve.ts';

async function ask(question: string): Promise<string> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return (await rl.question(question)).trim();
  } finally {
    rl.close();
  }
}

/** Reads a secret from the terminal without echoing it. */
function askSecret(question: string): Promise<string> {
  const input = process.stdin;
  process.stderr.write(question);
  return new Promise((resolve, reject) => {
    let value = '';
    input.setRawMode(true);
    input.resume();
    input.setEncoding('utf8');
    const done = (error?: Error) => {
      input.setRawMode(false);
      input.pause();
      input.off('data', onData);
      process.stderr.write('\n');
      if (error) reject(error);
      else resolve(value.trim());
    };
    const onData = (chunk: string) => {
      for (const char of chunk) {
        if (char === '\r' || char === '\n' || char === '\u0004') return done();
        if (char === '\u0003') return done(new CliError('CANCELLED', 'Cancelled'));
        if (char === '\u007f' || char === '\b') value = value.slice(0, -1);
        else value += char;
      }
    };
    input.on('data', onData);
  });
}

async function readStdin(): Promise<string> {
  let text = '';
  process.stdin.setEncoding('utf8');
  for await (const chunk of process.stdin) text += chunk;
  return text.trim();
}

interface LoginOptions extends CommonOptions {
  token?: string;
  email?: string;
}

/**
 * `login --email`: signs in as a person (the password from LATCHKEY_PASSWORD, a prompt that does not
 * echo, or standard input) and keeps the console session cookie, for the calls a token may not make
 * (webhooks, invitations, the outbox, roles and members changes).
 */
async function loginWithPassword(url: string, email: string, options: LoginOptions): Promise<void> {
  let password = process.env.LATCHKEY_PASSWORD;
  if (!password) password = process.stdin.isTTY ? await askSecret('Password: ') : await readStdin();
  if (!password) throw new CliError('VALIDATION_FAILED', 'No password given');
  const client = new Latchkey({ baseUrl: url });
  const session = await client.auth.login({ email, password });
  if (isTwoFactorChallenge(session)) {
    throw new CliError(
      'UNAUTHENTICATED',
      'This account asks a second factor, which the CLI cannot answer: sign in with a token (--token) instead',
    );
  }
  const cookie = client.sessionCookie();
  if (!cookie) throw new CliError('UNAUTHENTICATED', 'The server set no session cookie');
  const org = options.org ?? session.orgs[0]?.id;
  await writeConfig({ url: client.baseUrl, session: cookie, ...(org ? { org } : {}) });
  if (options.json) {
    printJson({ url: client.baseUrl, org: org ?? null, user: session.user, session: true });
    return;
  }
  const who = session.user ? `${session.user.name} <${session.user.email}>` : email;
  process.stdout.write(
    `Signed in to ${client.baseUrl} as ${who} (a console session)${org ? `, org ${org}` : ''}.\n` +
      `Saved to ${configPath()}\n`,
  );
}

export function registerAuthCommands(program: Command): void {
  const login = withCommon(
    program
      .command('login')
      .description(
        'Store a server URL and a token (or, with --email, a console session) in your config directory (mode 0600)',
      )
      .option('--token <token>', 'the token (default: LATCHKEY_TOKEN, then a prompt or standard input)')
      .option(
        '--email <email>',
        'sign in as a person instead (password: LATCHKEY_PASSWORD, a prompt or standard input); needed for webhooks, invites, outbox',
      ),
  );
  examples(login, [
    'latchkey login --url http://127.0.0.1:4000 --token lk_…',
    'LATCHKEY_URL=https://latchkey.example.com LATCHKEY_TOKEN=lk_… latchkey login',
    'echo "$TOKEN" | latchkey login --url http://127.0.0.1:4000',
    'latchkey login --url http://127.0.0.1:4000 --email ada@example.com',
    'echo "$PASSWORD" | latchkey login --email ada@example.com',
  ]);
  login.action(
    run(async (options: LoginOptions) => {
      const interactive = process.stdin.isTTY === true;
      let url = options.url || process.env.LATCHKEY_URL;
      if (!url && interactive) url = await ask('Latchkey URL (http://127.0.0.1:4000): ');
      if (!url) url = 'http://127.0.0.1:4000';
      if (options.email) return loginWithPassword(url, options.email, options);
      let token = options.token || process.env.LATCHKEY_TOKEN;
      if (!token) token = interactive ? await askSecret('Token: ') : await readStdin();
      if (!token) throw new CliError('VALIDATION_FAILED', 'No token given');
      if (!isWellFormedToken(token)) {
        throw new CliError('MALFORMED', 'That is not a Latchkey token (its shape or checksum is wrong)');
      }
      const client = new Latchkey({ baseUrl: url, token });
      const session = await client.auth.session();
      const org = options.org ?? session.token?.orgId ?? session.orgs[0]?.id;
      await writeConfig({ url: client.baseUrl, token, ...(org ? { org } : {}) });
      if (options.json) {
        printJson({
          url: client.baseUrl,
          org: org ?? null,
          user: session.user,
          token: session.token ?? null,
        });
        return;
      }
      const who = session.user ? `${session.user.name} <${session.user.email}>` : 'an application token';
      process.stdout.write(
        `Logged in to ${client.baseUrl} as ${who} with ${tokenHint(token)}${org ? `, org ${org}` : ''}.\n` +
          `Saved to ${configPath()}\n`,
      );
    }),
  );

  const logout = withCommon(
    program
      .command('logout')
      .description(
        'Forget the stored server URL and credential (a stored session is also ended on the server)',
      ),
    { org: false },
  );
  logout.action(
    run(async (options: CommonOptions) => {
      const config = await readConfig();
      if (config.session && config.url) {
        await new Latchkey({ baseUrl: config.url, cookie: config.session }).auth.logout().catch(() => {});
      }
      const removed = await removeConfig();
      if (options.json) printJson({ loggedOut: removed });
      else process.stdout.write(removed ? 'Logged out.\n' : 'Not logged in.\n');
    }),
  );

  const whoami = withCommon(
    program
      .command('whoami')
      .description('Show who the stored credential (a token or a session) belongs to, and their role'),
  );
  examples(whoami, ['latchkey whoami', 'latchkey whoami --json']);
  whoami.action(
    run(async (options: CommonOptions) => {
      const context = await connect(options);
      const session = await context.client.auth.session();
      const org = await resolveOrg(context, options).catch(() => null);
      // A session names the person's role in each org; a token's session does not, so the owner's
      // membership says it (when the token may list members). Role names where roles may be read.
      const orgs = await Promise.all(
        session.orgs.map(async (o) => {
          let roleId: string | null = o.roleId ?? null;
          if (roleId === null && session.user) {
            const members = await listMembers(context, o.id);
            roleId = members?.find((m) => m.userId === session.user?.id)?.roleId ?? null;
          }
          const roleName = roleId ? ((await roleNames(context, o.id)).get(roleId) ?? null) : null;
          return { ...o, roleId, roleName };
        }),
      );
      if (options.json) {
        printJson({ url: context.url, org, ...session, orgs });
        return;
      }
      const token = session.token;
      const current = orgs.find((o) => o.id === org);
      const role = (o: { roleId: string | null; roleName: string | null } | undefined) =>
        o?.roleId ? (o.roleName ? `${o.roleName} (${o.roleId})` : o.roleId) : null;
      printRecord([
        ['Server', context.url],
        ['User', session.user ? `${session.user.name} <${session.user.email}> (${session.user.id})` : null],
        [
          'Signed in with',
          token ? `the token ${token.name} (${token.id}, ${token.hint})` : 'a console session',
        ],
        ...(token
          ? ([['Token access', token.access === 'full' ? 'full' : formatList(token.permissions)]] as Array<
              [string, string]
            >)
          : []),
        ['Default org', current ? `${current.name} (${current.id})` : org],
        ['Role', role(current) ?? (token && !session.user ? 'none: an application token' : null)],
      ]);
      if (orgs.length > 1) {
        printTable(
          ['ORG', 'NAME', 'ROLE'],
          orgs.map((o) => [o.id, o.name, role(o)]),
        );
      }
    }),
  );
}
