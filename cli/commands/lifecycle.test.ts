// Issue 15, CLI part, defect 8 and `tokens edit`, run as child processes against a real server: a token's
// life (rotation grace, revoked when, by whom and why, "already revoked" once) and editing its grants.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  type CliWorld,
  failed,
  type Issued,
  json,
  latchkey,
  ok,
  startCliWorld,
  type TokenJson,
} from './cli-harness.ts';

describe("a token's life in show, list and revoke; tokens edit", () => {
  let w: CliWorld;
  before(async () => {
    w = await startCliWorld();
  });
  after(() => w?.close());

  describe('8. a token’s life is visible', () => {
    test('after a rotation with grace, show and list say when the old value stops', async () => {
      ok(await w.asToken(['tokens', 'create', '--name', 'graceful', '--full']));
      const rotated = json<{ tokenInfo: { previousValueExpiresAt: string | null } }>(
        await w.asToken(['tokens', 'rotate', 'graceful', '--grace-period', '1h', '--json']),
      );
      const until = rotated.tokenInfo.previousValueExpiresAt;
      assert.ok(until, 'the rotation answer says when the old value stops');
      const minute = `${new Date(until).toISOString().slice(0, 16).replace('T', ' ')}Z`;
      const shown = ok(await w.asToken(['tokens', 'show', 'graceful']));
      assert.match(shown.stdout, new RegExp(`previous value works until ${minute}`));
      const listed = ok(await w.asToken(['tokens', 'list', '--wide']));
      assert.match(listed.stdout, new RegExp(`graceful .*active; the previous value works until ${minute}`));
    });

    test('revoke takes --reason; show and list say when, by whom and why; again says "already revoked" once', async () => {
      const doomed = json<Issued>(
        await w.asToken(['tokens', 'create', '--name', 'doomed', '--full', '--json']),
      );
      const revoked = ok(await w.asToken(['tokens', 'revoke', 'doomed', '--reason', 'laptop lost']));
      assert.match(
        revoked.stdout,
        /^Revoked doomed \(tok_\w+\): revoked on \d{4}-\d\d-\d\d \d\d:\d\dZ by the token cli-admin of Ada <ada@example\.com> \(laptop lost\)\.$/m,
      );
      const info = json<TokenJson>(await w.asToken(['tokens', 'show', doomed.clientId, '--json']));
      assert.equal(info.revokedReason, 'laptop lost');

      const shown = ok(await w.asToken(['tokens', 'show', doomed.clientId, '--wide']));
      assert.match(
        shown.stdout,
        /revoked on .* by the token cli-admin of Ada <ada@example\.com> \(laptop lost\)/,
      );
      assert.doesNotMatch(shown.stdout, /│ Expires /, 'a revoked token does not "expire"');

      const listed = ok(await w.asToken(['tokens', 'list', '--status', 'revoked', '--wide']));
      const row = listed.stdout.split('\n').find((line) => line.includes(doomed.clientId)) ?? '';
      assert.match(row, /revoked on .* by the token cli-admin of Ada <ada@example\.com> \(laptop lost\)/);

      const again = ok(await w.asToken(['tokens', 'revoke', doomed.clientId]));
      assert.match(
        again.stdout,
        /^doomed \(tok_\w+\) was already revoked on .* by the token cli-admin of Ada <ada@example\.com> \(laptop lost\); nothing changed\.$/m,
      );
      assert.equal(again.stdout.trim().split('\n').length, 1);
      assert.doesNotMatch(again.stdout, /Revoked/);
    });
  });

  describe('finding a token by a value', () => {
    test('tokens lookup reads the value from standard input and names the token; an old value says until when', async () => {
      const made = json<Issued>(await w.asToken(['tokens', 'create', '--name', 'leaky', '--full', '--json']));
      const current = ok(await w.asToken(['tokens', 'lookup'], {}, `${made.token}\n`));
      assert.match(current.stdout, new RegExp(`This is the current value of leaky \\(${made.clientId}\\)`));
      assert.ok(!current.stdout.includes(made.token), 'the value is not echoed');
      ok(await w.asToken(['tokens', 'rotate', 'leaky', '--grace-period', '1h', '--json']));
      const previous = ok(await w.asToken(['tokens', 'lookup', '-'], {}, made.token));
      assert.match(
        previous.stdout,
        /This is the previous value of leaky .* replaced by a rotation; it works until \d{4}-/,
      );
      const junk = failed(await w.asToken(['tokens', 'lookup'], {}, 'lk_notatokenatall'));
      assert.match(junk.stderr, /VALIDATION_FAILED: VALUE: This is not a Latchkey token value/);
    });
  });

  describe('tokens edit mirrors the console', () => {
    test('narrows permissions, resources, addresses, rate limit and expiry, by name; says what changed', async () => {
      const made = json<Issued>(
        await w.asToken([
          'tokens',
          'create',
          '--name',
          'editable',
          '--permission',
          'blocks:read',
          '--permission',
          'chunks:read',
          '--expires-in',
          '30d',
          '--json',
        ]),
      );
      const edited = ok(
        await w.asToken([
          'tokens',
          'edit',
          'editable',
          '--permissions',
          'blocks:read',
          '--resources',
          'shard/testnet-1,mainnet',
          '--allowed-ips',
          '10.0.0.0/8,192.0.2.7',
          '--rate-limit',
          '100/60s',
          '--expires-in',
          '7d',
          '--description',
          'narrowed',
        ]),
      );
      assert.match(
        edited.stdout,
        /^Changed description, permissions, resources, allowed IPs, rate limit, expiry of editable/m,
      );
      const info = json<TokenJson>(await w.asToken(['tokens', 'show', 'editable', '--json']));
      assert.deepEqual(info.permissions, ['blocks:read']);
      assert.deepEqual(
        [...(info.resourceIds ?? [])].sort(),
        [await w.resourceId('shard/testnet-1'), await w.resourceId('shard/mainnet')].sort(),
      );
      assert.deepEqual(info.allowedIps, ['10.0.0.0/8', '192.0.2.7']);
      assert.deepEqual(info.rateLimit, { limit: 100, windowSeconds: 60 });
      assert.equal(info.description, 'narrowed');
      const days = (Date.parse(info.expiresAt ?? '') - Date.now()) / 86_400_000;
      assert.ok(days > 6.9 && days <= 7, `expires in ${days} days`);
      assert.ok(Date.parse(info.expiresAt ?? '') < Date.parse(made.tokenInfo.expiresAt ?? ''));

      const renamed = ok(
        await w.asToken(['tokens', 'edit', 'editable', '--name', 'edited', '--role', 'Read Only User']),
      );
      assert.match(renamed.stdout, /Changed name, permissions, role of edited/);
      const widened = ok(
        await w.asToken([
          'tokens',
          'edit',
          'edited',
          '--resources',
          'all',
          '--allowed-ips',
          'any',
          '--rate-limit',
          'none',
        ]),
      );
      assert.match(widened.stdout, /Changed resources, allowed IPs, rate limit of edited/);
    });

    test('a later expiry and a grant beyond the editor are refused with the flag and what is missing', async () => {
      ok(await w.asToken(['tokens', 'create', '--name', 'short-lived', '--full', '--expires-in', '7d']));
      const later = failed(await w.asToken(['tokens', 'edit', 'short-lived', '--expires-in', '60d']));
      assert.match(
        later.stderr,
        /FORBIDDEN: The expiry of a token can only move earlier \(--expires-at\/--expires-in\)/,
      );
      assert.doesNotMatch(later.stderr, /expiresAt|body\.|\{"/);

      // A token holding tokens:read, tokens:write and blocks:read edits what it made: narrowing works,
      // widening past what it holds is refused and names the missing permission.
      const editor = json<Issued>(
        await w.asToken([
          'tokens',
          'create',
          '--name',
          'editor',
          '--permission',
          'tokens:read',
          '--permission',
          'tokens:write',
          '--permission',
          'blocks:read',
          '--permission',
          'chunks:read',
          '--json',
        ]),
      );
      const env = { LATCHKEY_URL: w.server.url, LATCHKEY_TOKEN: editor.token };
      const home = await w.freshHome();
      ok(
        await latchkey(
          home,
          [
            'tokens',
            'create',
            '--name',
            'edited-by-token',
            '--permission',
            'blocks:read',
            '--permission',
            'chunks:read',
          ],
          env,
        ),
      );
      ok(await latchkey(home, ['tokens', 'edit', 'edited-by-token', '--permissions', 'blocks:read'], env));
      const wider = failed(
        await latchkey(
          home,
          ['tokens', 'edit', 'edited-by-token', '--permissions', 'blocks:read,transactions:write'],
          env,
        ),
      );
      assert.match(wider.stderr, /FORBIDDEN: .*transactions:write.*\(--permissions\)/);
      assert.doesNotMatch(wider.stderr, /\{"/);
    });
  });
});
