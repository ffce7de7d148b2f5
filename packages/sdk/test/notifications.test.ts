// The SDK's calls added with notifications — webhooks, the outbox, invitations, token delivery by
// e-mail, role paging, the notifyUnused policy and credentialed leak reports — against a real
// server, and verifyWebhookSignature() against real signed deliveries received by a node:http server.
import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { Latchkey } from '../src/client.ts';
import { LatchkeyError } from '../src/errors.ts';
import { signWebhookBody, verifyWebhookSignature } from '../src/index.ts';
import type { Role, WebhookDelivery, WebhookPayload } from '../src/types.ts';
import { ADMIN, eventually, type LatchkeyFixture, startLatchkey } from './helpers/latchkey.ts';
import { fakeToken } from './helpers/tokens.ts';

async function rejectsWith(promise: Promise<unknown>, code: string): Promise<LatchkeyError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof LatchkeyError, `expected a LatchkeyError, got ${String(error)}`);
    assert.equal(error.code, code, error.message);
    return error;
  }
  assert.fail(`expected ${code}`);
}

interface Received {
  headers: IncomingHttpHeaders;
  raw: Buffer;
}

/** A webhook receiver: records every request's headers and raw body, answers `status`. */
async function startReceiver() {
  const received: Received[] = [];
  const state = { status: 204 };
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    received.push({ headers: req.headers, raw: Buffer.concat(chunks) });
    res.writeHead(state.status).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hooks`,
    received,
    state,
    payload: (r: Received) => JSON.parse(r.raw.toString('utf8')) as WebhookPayload,
    async waitFor(match: (r: Received) => boolean, timeoutMs = 5000): Promise<Received> {
      let found: Received | undefined;
      await eventually(() => {
        found = received.find(match);
        return found !== undefined;
      }, timeoutMs);
      return found as Received;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

describe('notifications through the SDK against a real server', () => {
  let lk: LatchkeyFixture;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  before(async () => {
    receiver = await startReceiver();
    lk = await startLatchkey({
      env: {
        WORKER_INTERVAL_MS: '50',
        RETRY_BACKOFF_BASE_MS: '50',
        LOGIN_ATTEMPTS_PER_MINUTE: '1000',
        // The webhook receivers of these tests listen on 127.0.0.1 (issue 12 rule 9 refuses it by default).
        WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true',
      },
    });
  });
  after(async () => {
    await lk?.close();
    await receiver?.close();
  });

  test('webhooks: create shows the secret once; token events arrive signed and verifyWebhookSignature accepts only them', async () => {
    await rejectsWith(
      lk.client.webhooks.create(lk.org, { url: receiver.url, events: ['token.*'] }),
      'SESSION_REQUIRED',
    );
    const hook = await lk.admin.webhooks.create(lk.org, {
      url: receiver.url,
      events: ['token.*'],
      description: 'sdk test',
    });
    assert.match(hook.id, /^whk_/);
    assert.match(hook.secret, /^whsec_/);
    assert.equal(hook.enabled, true);
    assert.deepEqual(hook.events, ['token.*']);
    const shown = await lk.client.webhooks.get(lk.org, hook.id);
    assert.equal((shown as unknown as { secret?: string }).secret, undefined, 'the secret is shown once');
    assert.equal(shown.description, 'sdk test');
    const listed = await lk.client.webhooks.list(lk.org);
    assert.ok(listed.items.some((h) => h.id === hook.id));
    assert.ok(!JSON.stringify(listed).includes(hook.secret));

    const issued = await lk.client.tokens.create(lk.org, { name: 'hooked', access: 'full', expiresIn: '1d' });
    const delivery = await receiver.waitFor(
      (r) => r.raw.includes(issued.clientId) && r.headers['latchkey-event'] === 'token.created',
    );
    const header = delivery.headers['latchkey-signature'];
    assert.equal(typeof header, 'string');
    assert.match(String(header), /^t=\d+,v1=[0-9a-f]{64}$/);
    assert.equal(verifyWebhookSignature(hook.secret, header, delivery.raw), true, 'raw bytes');
    assert.equal(verifyWebhookSignature(hook.secret, header, delivery.raw.toString('utf8')), true, 'string');
    assert.equal(verifyWebhookSignature(hook.secret, [String(header)], delivery.raw), true, 'array header');
    assert.equal(verifyWebhookSignature('whsec_wrong', header, delivery.raw), false, 'another secret');
    const changed = delivery.raw.toString('utf8').replace('hooked', 'hookee');
    assert.equal(verifyWebhookSignature(hook.secret, header, changed), false, 'a changed body');
    assert.equal(verifyWebhookSignature(hook.secret, undefined, delivery.raw), false, 'no header');
    assert.equal(verifyWebhookSignature(hook.secret, 'garbage', delivery.raw), false, 'a malformed header');
    const t = Number(/t=(\d+)/.exec(String(header))?.[1]);
    const later = (t + 301) * 1000;
    assert.equal(verifyWebhookSignature(hook.secret, header, delivery.raw, { now: later }), false, 'stale');
    assert.equal(
      verifyWebhookSignature(hook.secret, header, delivery.raw, { now: later, toleranceSeconds: 400 }),
      true,
      'within a wider tolerance',
    );
    assert.equal(
      verifyWebhookSignature(hook.secret, header, delivery.raw, { now: (t - 301) * 1000 }),
      false,
      'from the future',
    );
    // A second v1 (as during a secret rotation) is accepted when any matches.
    const v1 = String(header).split('v1=')[1];
    assert.equal(
      verifyWebhookSignature(hook.secret, `t=${t},v1=${'0'.repeat(64)},v1=${v1}`, delivery.raw),
      true,
    );
    // signWebhookBody() makes what the server makes.
    assert.equal(signWebhookBody(hook.secret, delivery.raw, t), header);

    const event = receiver.payload(delivery);
    assert.equal(event.type, 'token.created');
    assert.equal(event.orgId, lk.org);
    assert.match(event.id, /^evt_/);
    assert.ok(!delivery.raw.includes(issued.token), 'never a value');
    await lk.admin.webhooks.delete(lk.org, hook.id);
  });

  test('webhooks: ping queues a delivery that arrives and shows as sent in the log; listAllDeliveries follows the cursor', async () => {
    const hook = await lk.admin.webhooks.create(lk.org, { url: receiver.url, events: ['role.*'] });
    await rejectsWith(lk.client.webhooks.ping(lk.org, hook.id), 'SESSION_REQUIRED');
    const pings: WebhookDelivery[] = [];
    for (let i = 0; i < 3; i++) pings.push(await lk.admin.webhooks.ping(lk.org, hook.id));
    const ping = pings[0] as WebhookDelivery;
    assert.match(ping.id, /^dlv_/);
    assert.equal(ping.event, 'ping');
    assert.equal(ping.status, 'pending');
    const arrived = await receiver.waitFor((r) => r.headers['latchkey-delivery'] === ping.id);
    assert.equal(arrived.headers['latchkey-event'], 'ping');
    assert.equal(
      verifyWebhookSignature(hook.secret, arrived.headers['latchkey-signature'], arrived.raw),
      true,
    );
    assert.deepEqual(receiver.payload(arrived).data, { endpointId: hook.id });

    await eventually(async () => {
      const log = await lk.client.webhooks.deliveries(lk.org, hook.id);
      return log.items.filter((d) => d.status === 'sent').length === 3;
    }, 5000);
    const log = await lk.client.webhooks.deliveries(lk.org, hook.id);
    const sent = log.items.find((d) => d.id === ping.id);
    assert.equal(sent?.status, 'sent');
    assert.equal(sent?.responseCode, 204);
    assert.equal(sent?.attempts, 1);
    assert.ok(sent?.doneAt);
    const first = await lk.client.webhooks.deliveries(lk.org, hook.id, { limit: 1 });
    assert.equal(first.items.length, 1);
    assert.ok(first.nextCursor);
    const all: string[] = [];
    for await (const d of lk.client.webhooks.listAllDeliveries(lk.org, hook.id, { limit: 1 })) all.push(d.id);
    assert.deepEqual(all, pings.map((p) => p.id).reverse(), 'every delivery, newest first, once');
    await lk.admin.webhooks.delete(lk.org, hook.id);
  });

  test('webhooks: update changes, disables and enables; a disabled endpoint cannot be pinged; delete', async () => {
    const hook = await lk.admin.webhooks.create(lk.org, { url: receiver.url, events: ['member.*'] });
    await rejectsWith(lk.client.webhooks.update(lk.org, hook.id, { enabled: false }), 'SESSION_REQUIRED');
    const changed = await lk.admin.webhooks.update(lk.org, hook.id, {
      url: `${receiver.url}/v2`,
      events: ['member.removed', 'role.created'],
      description: 'changed',
    });
    assert.equal(changed.url, `${receiver.url}/v2`);
    assert.deepEqual(changed.events, ['member.removed', 'role.created']);
    assert.equal(changed.description, 'changed');
    const disabled = await lk.admin.webhooks.update(lk.org, hook.id, { enabled: false });
    assert.equal(disabled.enabled, false);
    assert.ok(disabled.disabledReason);
    await rejectsWith(lk.admin.webhooks.ping(lk.org, hook.id), 'CONFLICT');
    const enabled = await lk.admin.webhooks.update(lk.org, hook.id, { enabled: true });
    assert.equal(enabled.enabled, true);
    assert.equal(enabled.disabledReason, null);
    await rejectsWith(
      lk.admin.webhooks.create(lk.org, { url: receiver.url, events: ['nothing.real'] }),
      'VALIDATION_FAILED',
    );
    await rejectsWith(lk.client.webhooks.delete(lk.org, hook.id), 'SESSION_REQUIRED');
    await lk.admin.webhooks.delete(lk.org, hook.id);
    await rejectsWith(lk.client.webhooks.get(lk.org, hook.id), 'NOT_FOUND');
    await rejectsWith(lk.client.webhooks.deliveries(lk.org, hook.id), 'NOT_FOUND');
  });

  test('invites: list pages with a cursor, listAll, cancel needs a session and stops the link', async () => {
    const emails = ['inv-a@example.com', 'inv-b@example.com', 'inv-c@example.com'];
    const links: string[] = [];
    for (const email of emails) {
      const added = await lk.admin.members.add(lk.org, { email, roleId: 'rol_readonly' });
      assert.ok('inviteUrl' in added);
      links.push(added.inviteUrl);
    }
    const page = await lk.client.invites.list(lk.org, { limit: 2 });
    assert.equal(page.items.length, 2);
    assert.ok(page.nextCursor, 'a second page');
    const rest = await lk.client.invites.list(lk.org, { limit: 2, cursor: page.nextCursor ?? undefined });
    const paged = [...page.items, ...rest.items].map((i) => i.email);
    const all = [];
    for await (const invite of lk.client.invites.listAll(lk.org, { limit: 1 })) all.push(invite);
    assert.deepEqual(
      all.map((i) => i.email),
      paged,
    );
    for (const email of emails) assert.ok(paged.includes(email), email);
    const target = all.find((i) => i.email === 'inv-b@example.com');
    assert.ok(target);
    assert.match(target.id, /^inv_/);
    assert.equal(target.roleId, 'rol_readonly');
    assert.ok(Date.parse(target.expiresAt) > Date.now());
    assert.ok(!JSON.stringify(all).includes(new URL(links[1] ?? '').hash.slice(7)), 'no invite secret');

    await rejectsWith(lk.client.invites.cancel(lk.org, target.id), 'SESSION_REQUIRED');
    await lk.admin.invites.cancel(lk.org, target.id);
    const after = await lk.client.invites.list(lk.org);
    assert.ok(!after.items.some((i) => i.id === target.id));
    await rejectsWith(lk.admin.invites.cancel(lk.org, target.id), 'NOT_FOUND');
    const bo = new Latchkey({ baseUrl: lk.url });
    const inviteToken = new URL(links[1] ?? '').hash.replace('#token=', '');
    await assert.rejects(bo.auth.acceptInvite({ inviteToken, password: 'another long password', name: 'B' }));
  });

  test('outbox: a session reads its own mails and the org mails it administers; tokens are refused', async () => {
    await rejectsWith(lk.client.outbox.list(), 'SESSION_REQUIRED');
    await lk.admin.members.add(lk.org, { email: 'outbox-invitee@example.com', roleId: 'rol_readonly' });
    let page = await lk.admin.outbox.list();
    await eventually(async () => {
      page = await lk.admin.outbox.list();
      return page.items.some((m) => m.to === 'outbox-invitee@example.com');
    }, 5000);
    assert.equal(page.transport, 'outbox');
    const invite = page.items.find((m) => m.to === 'outbox-invitee@example.com');
    assert.equal(invite?.kind, 'invite');
    assert.equal(invite?.orgId, lk.org);
    assert.ok(invite?.subject);
    assert.ok(invite?.text.length);
    const first = await lk.admin.outbox.list({ limit: 1 });
    assert.equal(first.items.length, 1);
    const ids: string[] = [];
    for await (const mail of lk.admin.outbox.listAll({ limit: 1 })) ids.push(mail.id);
    assert.ok(ids.length >= 2 && ids.length === new Set(ids).size);
    assert.equal(ids[0], first.items[0]?.id, 'newest first');
  });

  test('tokens.deliver e-mails a held value to the caller; a value of another token is refused', async () => {
    const issued = await lk.admin.tokens.create(lk.org, {
      name: 'delivered',
      access: 'full',
      expiresIn: '1d',
    });
    await rejectsWith(lk.admin.tokens.deliver(lk.org, issued.clientId, fakeToken()), 'VALIDATION_FAILED');
    const other = await lk.admin.tokens.create(lk.org, { name: 'other', access: 'full', expiresIn: '1d' });
    await rejectsWith(lk.admin.tokens.deliver(lk.org, issued.clientId, other.token), 'VALIDATION_FAILED');
    const answer = await lk.admin.tokens.deliver(lk.org, issued.clientId, issued.token);
    assert.deepEqual(answer, { delivery: { email: 'outbox' } });
    const page = await lk.admin.outbox.list();
    const mail = page.items.find((m) => m.kind === 'token.value' && m.text.includes(issued.token));
    assert.ok(mail, 'the value mail is in the outbox');
    assert.equal(mail.to.toLowerCase(), ADMIN.email);
    // A token may deliver a value it can see too (its owner's address).
    const viaToken = await lk.client.tokens.deliver(lk.org, other.clientId, other.token);
    assert.equal(viaToken.delivery.email, 'outbox');
  });

  test('roles: list pages with a cursor, listAll follows it, get reads one', async () => {
    for (const name of ['Pager A', 'Pager B', 'Pager C'])
      await lk.admin.roles.create(lk.org, { name, permissions: ['blocks:read'] });
    const first = await lk.client.roles.list(lk.org, { limit: 2 });
    assert.equal(first.items.length, 2);
    assert.ok(first.nextCursor);
    const all: Role[] = [];
    for await (const role of lk.client.roles.listAll(lk.org, { limit: 2 })) all.push(role);
    const ids = all.map((r) => r.id);
    assert.equal(ids.length, new Set(ids).size, 'no role twice');
    assert.deepEqual(ids.slice(0, 3).sort(), ['rol_admin', 'rol_readonly', 'rol_readwrite']);
    for (const name of ['Pager A', 'Pager B', 'Pager C'])
      assert.ok(
        all.some((r) => r.name === name),
        name,
      );
    const unpaged = await lk.client.roles.list(lk.org, { limit: 100 });
    assert.deepEqual(
      unpaged.items.map((r) => r.id),
      ids,
    );
    const custom = all.find((r) => r.name === 'Pager B');
    assert.ok(custom);
    const one = await lk.client.roles.get(lk.org, custom.id);
    assert.deepEqual(one.permissions, ['blocks:read']);
    assert.equal((await lk.client.roles.get(lk.org, 'rol_admin')).builtIn, true);
  });

  test('the org policy carries notifyUnused; changing it needs a session', async () => {
    const before = await lk.client.orgs.get(lk.org);
    assert.equal(before.policy.notifyUnused, false);
    await rejectsWith(lk.client.orgs.update(lk.org, { policy: { notifyUnused: true } }), 'SESSION_REQUIRED');
    const updated = await lk.admin.orgs.update(lk.org, { policy: { notifyUnused: true } });
    assert.equal(updated.policy.notifyUnused, true);
    assert.equal((await lk.client.orgs.get(lk.org)).policy.notifyUnused, true);
    await lk.admin.orgs.update(lk.org, { policy: { notifyUnused: false } });
  });

  test('reportLeaks needs a credential: anonymous is UNAUTHENTICATED; a session or token revokes', async () => {
    const anonymous = new Latchkey({ baseUrl: lk.url });
    const issued = await lk.client.tokens.create(lk.org, { name: 'leaky', access: 'full', expiresIn: '1d' });
    await rejectsWith(anonymous.reportLeaks([issued.token]), 'UNAUTHENTICATED');
    assert.equal((await lk.client.tokens.get(lk.org, issued.clientId)).status, 'active');
    const results = await lk.admin.reportLeaks([issued.token, fakeToken()]);
    assert.deepEqual(
      results.map((r) => r.label),
      ['true_positive', 'false_positive'],
    );
    assert.equal(results[0]?.token_hint, `lk_…${issued.token.slice(-4)}`);
    const info = await lk.client.tokens.get(lk.org, issued.clientId);
    assert.equal(info.revokedReason, 'leaked');
  });

  test('the session cookie can be kept and reused by a new client', async () => {
    const signedIn = new Latchkey({ baseUrl: lk.url });
    assert.equal(signedIn.sessionCookie(), undefined);
    await signedIn.auth.login({ email: ADMIN.email, password: ADMIN.password });
    const cookie = signedIn.sessionCookie();
    assert.match(cookie ?? '', /lk_session=/);
    const later = new Latchkey({ baseUrl: lk.url, cookie });
    assert.equal((await later.auth.session()).user?.email, ADMIN.email);
    const page = await later.outbox.list({ limit: 1 });
    assert.equal(page.transport, 'outbox');
  });
});
