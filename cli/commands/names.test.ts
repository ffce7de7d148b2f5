// Issue 15, CLI part, defect 6, run as child processes against a real server: tokens, resources, roles
// and orgs by name (one resolver), with the candidates named when a name is ambiguous or unknown;
// whoami after a token login; tables that fit 100 columns.
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

describe('names where people think in names, and tables that fit', () => {
  let w: CliWorld;
  before(async () => {
    w = await startCliWorld();
  });
  after(() => w?.close());

  describe('6. names where people think in names', () => {
    test('create takes a role and a resource by name; show, revoke and rotate take a token by name', async () => {
      const shard = await w.resourceId('shard/testnet-1');
      const created = json<Issued>(
        await w.asToken([
          'tokens',
          'create',
          '--name',
          'cli-made',
          '--role',
          'read only user',
          '--resource',
          'shard/testnet-1',
          '--json',
        ]),
      );
      assert.equal(created.tokenInfo.roleId, 'rol_readonly');
      assert.deepEqual(created.tokenInfo.resourceIds, [shard]);
      const shown = ok(await w.asToken(['tokens', 'show', 'cli-made']));
      assert.match(shown.stdout, new RegExp(created.clientId));
      assert.match(shown.stdout, /role Read Only User/);
      const byMainnet = json<Issued>(
        await w.asToken([
          'tokens',
          'create',
          '--name',
          'on-mainnet',
          '--full',
          '--resource',
          'mainnet',
          '--json',
        ]),
      );
      assert.deepEqual(byMainnet.tokenInfo.resourceIds, [await w.resourceId('shard/mainnet')]);

      const revoked = ok(await w.asToken(['tokens', 'revoke', 'cli-made']));
      assert.match(revoked.stdout, new RegExp(`Revoked cli-made \\(${created.clientId}\\)`));
      // The name is free again; of the revoked and the new token, the active one is meant.
      const again = json<Issued>(
        await w.asToken(['tokens', 'create', '--name', 'cli-made', '--full', '--json']),
      );
      const rotated = json<Issued>(await w.asToken(['tokens', 'rotate', 'cli-made', '--json']));
      assert.equal(rotated.clientId, again.clientId);
    });

    test('members add takes a role by name; invites cancel takes the invited address', async () => {
      const invited = ok(
        await w.asSession(['members', 'add', '--email', 'cy@example.com', '--role', 'readwrite']),
      );
      assert.match(invited.stdout, /Invited cy@example\.com as Read\/Write User/);
      const cancelled = ok(await w.asSession(['invites', 'cancel', 'cy@example.com']));
      assert.match(cancelled.stdout, /^Cancelled inv_\w+ \(cy@example\.com\)\.$/m);
      const again = failed(await w.asSession(['invites', 'cancel', 'cy@example.com']));
      assert.match(again.stderr, /NOT_FOUND: No pending invitation named "cy@example\.com"/);
    });

    test('an ambiguous name lists the candidates; an unknown one lists what there is', async () => {
      const ambiguous = failed(
        await w.asToken(['tokens', 'create', '--name', 'amb', '--full', '--resource', 'testnet-1']),
      );
      assert.match(ambiguous.stderr, /AMBIGUOUS: "testnet-1" names 2 resources/);
      assert.match(ambiguous.stderr, /shard\/testnet-1 \(res_/);
      assert.match(ambiguous.stderr, /database\/testnet-1 \(res_/);
      const unknown = failed(
        await w.asToken(['tokens', 'create', '--name', 'unk', '--full', '--resource', 'shard/nowhere']),
      );
      assert.match(
        unknown.stderr,
        /NOT_FOUND: No resource named "shard\/nowhere"; there are: .*shard\/mainnet/,
      );
      const role = failed(await w.asToken(['tokens', 'create', '--name', 'r', '--role', 'Auditor']));
      assert.match(
        role.stderr,
        /No role named "Auditor"; there are: Organization Administrator \(rol_admin\)/,
      );
      const listed = json<{ items: TokenJson[] }>(await w.asToken(['tokens', 'list', '--all', '--json']));
      assert.ok(!listed.items.some((t) => ['amb', 'unk', 'r'].includes(t.name)), 'nothing was created');
    });

    test('whoami after a token login shows the user and the role by name, also for a narrow token', async () => {
      const full = ok(await w.asToken(['whoami']));
      assert.match(full.stdout, /Ada <ada@example\.com>/);
      assert.match(full.stdout, /Organization Administrator \(rol_admin\)/);
      assert.match(full.stdout, /the token cli-admin/);

      const narrow = json<Issued>(
        await w.asToken(['tokens', 'create', '--name', 'narrow', '--permission', 'blocks:read', '--json']),
      );
      const home = await w.freshHome();
      ok(await latchkey(home, ['login', '--url', w.server.url, '--token', narrow.token]));
      const who = ok(await latchkey(home, ['whoami']));
      assert.match(who.stdout, /Ada <ada@example\.com>/);
      assert.match(who.stdout, /the token narrow/);

      const bySession = ok(await w.asSession(['whoami']));
      assert.match(bySession.stdout, /Organization Administrator \(rol_admin\)/);
      assert.match(bySession.stdout, /a console session/);
    });

    test('tables fit 100 columns, wrapping long cells; --wide shows every column', async () => {
      const many = [
        'blocks:read',
        'chunks:read',
        'accounts:read',
        'keys:read',
        'contract-state:read',
        'transactions:read',
      ];
      ok(
        await w.asToken([
          'tokens',
          'create',
          '--name',
          'a-token-with-a-rather-long-name-for-the-indexer-of-testnet',
          ...many.flatMap((p) => ['--permission', p]),
          '--resource',
          'shard/testnet-1',
          '--resource',
          'shard/mainnet',
        ]),
      );
      for (const args of [
        ['tokens', 'list'],
        ['members'],
        ['roles'],
        ['audit'],
        ['resources'],
        ['permissions'],
      ]) {
        const run = ok(await w.asToken(args));
        const widest = Math.max(...run.stdout.split('\n').map((line) => line.length));
        assert.ok(widest <= 100, `${args.join(' ')} is ${widest} columns wide:\n${run.stdout}`);
      }
      const narrow = ok(await w.asToken(['tokens', 'list']));
      assert.match(narrow.stdout, /│ a-token-with-a-r/, 'a long name wraps inside its column');
      assert.match(narrow.stdout, /left out to fit 100 columns; --wide shows them/);
      const wide = ok(await w.asToken(['tokens', 'list', '--wide']));
      assert.ok(Math.max(...wide.stdout.split('\n').map((line) => line.length)) > 100);
      assert.match(wide.stdout, /HINT/);
      assert.match(wide.stdout, /blocks:read, chunks:read, accounts:read, keys:read/);
    });
  });
});
