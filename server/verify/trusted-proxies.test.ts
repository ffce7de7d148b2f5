// Who names the end client to GET /v1/verify: a trusted proxy, read from the right end of its chain.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { forwardedClient, trustedProxyTest } from './trusted-proxies.ts';

const trusted = trustedProxyTest(['10.0.0.0/8', '2001:db8::/32']);
const none = trustedProxyTest([]);

test('VERIFY_TRUSTED_PROXIES: addresses inside its blocks (IPv4-mapped too); nothing when empty', () => {
  assert.equal(trusted('10.1.2.3'), true);
  assert.equal(trusted('::ffff:10.1.2.3'), true);
  assert.equal(trusted('2001:db8::1'), true);
  assert.equal(trusted('11.0.0.1'), false);
  assert.equal(trusted('not-an-address'), false);
  assert.equal(none('10.1.2.3'), false);
});

test('X-Forwarded-For is read from its right end, past trusted proxies; the left end is the client', () => {
  const of = (forwardedFor: string | string[], consumed = 0) =>
    forwardedClient({ forwardedFor, realIp: undefined }, consumed, trusted)?.ip;
  assert.equal(of('203.0.113.7'), '203.0.113.7');
  assert.equal(
    of('198.51.100.1, 203.0.113.7'),
    '203.0.113.7',
    'what the client wrote on the left is not reached',
  );
  assert.equal(of('203.0.113.7, 10.0.0.5, 10.0.0.6'), '203.0.113.7');
  assert.equal(of(['203.0.113.7', '10.0.0.5']), '203.0.113.7', 'a repeated header is one list');
  assert.equal(of('10.0.0.4, 10.0.0.5'), '10.0.0.4', 'every hop trusted: the left end');
  assert.equal(of('198.51.100.1, 203.0.113.7', 1), '198.51.100.1', 'hops TRUST_PROXY used are skipped');
  assert.equal(of('203.0.113.7', 1), undefined);
  assert.equal(of('junk'), 'junk', 'returned as written: the route refuses it naming the header');
});

test('X-Real-IP counts only without X-Forwarded-For; neither names no one', () => {
  assert.deepEqual(forwardedClient({ forwardedFor: undefined, realIp: ' 203.0.113.7 ' }, 0, trusted), {
    ip: '203.0.113.7',
    header: 'x-real-ip',
  });
  assert.deepEqual(forwardedClient({ forwardedFor: '198.51.100.1', realIp: '203.0.113.7' }, 0, trusted), {
    ip: '198.51.100.1',
    header: 'x-forwarded-for',
  });
  assert.equal(forwardedClient({ forwardedFor: ' ', realIp: '' }, 0, trusted), undefined);
  assert.equal(forwardedClient({ forwardedFor: undefined, realIp: undefined }, 0, trusted), undefined);
});
