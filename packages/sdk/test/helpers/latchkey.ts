import { startServer } from '../../../../test/helpers/server.ts';
import { Latchkey } from '../../src/client.ts';

export const ADMIN = {
  email: 'ada@example.com',
  password: 'correct horse battery staple',
  name: 'Ada Admin',
  orgName: 'Acme Chain',
};

export interface LatchkeyFixture {
  url: string;
  org: string;
  /** Signed in through the console session (cookie + CSRF), as the first user. */
  admin: Latchkey;
  /** A full-access token of the first user, and a client using it. */
  adminToken: string;
  client: Latchkey;
  /** The server's data directory (the outbox is `<dataDir>/outbox/`). */
  dataDir: string;
  close(): Promise<void>;
}

/** A real Latchkey server (fresh SQLite, free port) with its first user, org and a full-access token. */
export async function startLatchkey(
  options: { env?: Record<string, string> } = {},
): Promise<LatchkeyFixture> {
  const server = await startServer(options.env ? { env: options.env } : {});
  const admin = new Latchkey({ baseUrl: server.url });
  await admin.auth.setup(ADMIN);
  const session = await admin.auth.session();
  const org = session.orgs[0]?.id;
  if (!org) throw new Error('setup made no org');
  const issued = await admin.tokens.create(org, { name: 'sdk-admin', access: 'full', expiresIn: '300d' });
  const client = new Latchkey({ baseUrl: server.url, token: issued.token });
  return {
    url: server.url,
    org,
    admin,
    adminToken: issued.token,
    client,
    dataDir: server.dataDir,
    async close() {
      admin.close();
      client.close();
      await server.close();
    },
  };
}

/** Waits for a condition that an event will make true; fails after `timeoutMs`. */
export async function eventually(
  condition: () => boolean | Promise<boolean>,
  timeoutMs = 2000,
): Promise<number> {
  const start = Date.now();
  while (!(await condition())) {
    if (Date.now() - start > timeoutMs) throw new Error(`not true within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  return Date.now() - start;
}
