// An SDK without a credential cannot make the server believe the end client's address (issue 12 rule 2):
// the server then judges allowedIps on the SDK's own address, so the SDK judges the answer again on `ip`.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Latchkey } from '../src/client.ts';
import { type LatchkeyFixture, startLatchkey } from './helpers/latchkey.ts';

let lk: LatchkeyFixture;
let allowlisted: string;
before(async () => {
  lk = await startLatchkey();
  // Allowed only from the address the SDK itself calls from: the server alone would say valid.
  allowlisted = (
    await lk.client.tokens.create(lk.org, {
      name: 'allowlisted',
      access: 'granular',
      permissions: ['blocks:read'],
      allowedIps: ['127.0.0.1', '::1'],
      expiresIn: '1d',
    })
  ).token;
});
after(() => lk.close());

test('without a credential, an allowlisted token is refused for an end client outside the allowlist', async () => {
  const anonymous = new Latchkey({ baseUrl: lk.url });
  try {
    const outside = await anonymous.verify(allowlisted, { permission: 'blocks:read', ip: '203.0.113.9' });
    assert.deepEqual(outside, { valid: false, code: 'IP_NOT_ALLOWED' });
    const inside = await anonymous.verify(allowlisted, { permission: 'blocks:read', ip: '127.0.0.1' });
    assert.equal(inside.valid, true);
  } finally {
    anonymous.close();
  }
});

test('with a credential of the org, the server judges the address and the SDK agrees', async () => {
  const outside = await lk.client.verify(allowlisted, { permission: 'blocks:read', ip: '203.0.113.9' });
  assert.deepEqual(outside, { valid: false, code: 'IP_NOT_ALLOWED' });
});
