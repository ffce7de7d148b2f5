// Issue 15, CLI part, defects 1 and 5, run as child processes against a real server: mail says where it
// went ("e-mailed" only through SMTP), and a refused request names the flag in plain words.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Latchkey } from '@latchkey/sdk';
import { startServer } from '../../test/helpers/server.ts';
import { startSmtp, toOf } from '../../test/notifications/receivers.ts';
import {
  type CliWorld,
  EMAIL,
  failed,
  latchkey,
  literal,
  ok,
  PASSWORD,
  startCliWorld,
} from './cli-harness.ts';

const OUTBOX_SENTENCE = 'No mail server is set up: the mail was saved to the Outbox (latchkey outbox list)';

describe('the CLI tells where mail went and names the flag a server refused', () => {
  let w: CliWorld;
  before(async () => {
    w = await startCliWorld();
  });
  after(() => w?.close());

  describe('1. mail says where it went', () => {
    test('without a mail server, create --email and an invitation say "saved to the Outbox", never "e-mailed"', async () => {
      const created = ok(await w.asToken(['tokens', 'create', '--name', 'mailed', '--full', '--email']));
      assert.match(created.stdout, literal(OUTBOX_SENTENCE));
      assert.doesNotMatch(created.stdout, /was e-mailed|also e-mailed/);

      const invited = ok(
        await w.asSession(['members', 'add', '--email', 'bo@example.com', '--role', 'Read Only User']),
      );
      assert.match(invited.stdout, /Invited bo@example\.com as Read Only User/);
      assert.match(invited.stdout, /Invitation link: http/);
      assert.match(invited.stdout, literal(OUTBOX_SENTENCE));
      assert.doesNotMatch(invited.stdout, /was e-mailed|also e-mailed/);
    });

    test('with an SMTP server, create --email says it was e-mailed, and the mail arrives', async () => {
      const smtp = await startSmtp();
      const mailing = await startServer({ env: { SMTP_URL: smtp.url } });
      try {
        const admin = new Latchkey({ baseUrl: mailing.url });
        await admin.auth.setup({ email: EMAIL, password: PASSWORD, name: 'Ada', orgName: 'Mailing' });
        const mailOrg = (await admin.auth.session()).orgs[0]?.id ?? '';
        const token = (await admin.tokens.create(mailOrg, { name: 'cli', access: 'full' })).token;
        const env = { LATCHKEY_URL: mailing.url, LATCHKEY_TOKEN: token };
        const created = ok(
          await latchkey(
            await w.freshHome(),
            ['tokens', 'create', '--name', 'sent', '--full', '--email'],
            env,
          ),
        );
        assert.match(created.stdout, /The token value was e-mailed to you\./);
        assert.doesNotMatch(created.stdout, /Outbox/);
        await smtp.waitFor((mail) => toOf(mail) === EMAIL && (mail.text ?? '').includes('sent'));
      } finally {
        await mailing.close();
        await smtp.close();
      }
    });
  });

  describe('5. a refused request names the flag, in plain words', () => {
    test('--max-ttl-days over the limit: "--max-ttl-days must be at most 36500"', async () => {
      const run = failed(await w.asSession(['orgs', 'update', '--max-ttl-days', '40000']));
      assert.match(run.stderr, /VALIDATION_FAILED: --max-ttl-days must be at most 36500/);
      assert.doesNotMatch(run.stderr, /body\.|maxTtlDays|<=|policy/);
      const fine = ok(await w.asSession(['orgs', 'update', '--max-ttl-days', '400']));
      assert.match(fine.stdout, /400/);
    });

    test('an empty --reason and a date that is none name their flags; no validator text', async () => {
      ok(await w.asToken(['tokens', 'create', '--name', 'reasonless', '--full']));
      const reason = failed(await w.asToken(['tokens', 'revoke', 'reasonless', '--reason', '']));
      assert.match(reason.stderr, /--reason must not be empty/);
      const date = failed(
        await w.asToken(['tokens', 'create', '--name', 'dated', '--full', '--expires-at', 'next tuesday']),
      );
      assert.match(date.stderr, /--expires-at/);
      for (const run of [reason, date]) {
        assert.doesNotMatch(run.stderr, /body\.|expiresAt|must NOT|pattern|\{"/);
      }
    });

    test('a name that is no token is "No token named …", never "params.tok must match pattern"', async () => {
      const run = failed(await w.asToken(['tokens', 'show', 'no-such-token']));
      assert.match(run.stderr, /NOT_FOUND: No token named "no-such-token"/);
      assert.doesNotMatch(run.stderr, /params\.tok|pattern|\^tok_/);
    });
  });
});
