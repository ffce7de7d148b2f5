// Issue 17 from the CLI: `tokens create --link` and `tokens rotate --grace-period until-used --link`.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type CliWorld, type Issued, json, ok, startCliWorld } from './cli-harness.ts';

describe('latchkey tokens: one-time links and rotation until used', () => {
  let world: CliWorld;
  before(async () => {
    world = await startCliWorld();
  });
  after(() => world?.close());

  const open = async (url: string) => {
    const answer = await fetch(`${world.server.url}/v1/reveal`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ key: new URL(url).hash.slice(1) }),
    });
    return (await answer.json()) as { status: string; token?: string };
  };

  test('create --link 15m prints a link that opens once to the value', async () => {
    const run = ok(
      await world.asToken([
        'tokens',
        'create',
        '--name',
        'linked',
        '--permission',
        'blocks:read',
        '--link',
        '15m',
      ]),
    );
    const url = /(http\S+\/reveal#[A-Za-z0-9_-]{43})/.exec(run.stdout)?.[1];
    assert.ok(url, run.stdout);
    assert.match(run.stdout, /One-time link \(opens once, until /);
    const value = /\n {2}(lk_\S+)\n/.exec(run.stdout)?.[1];
    const first = await open(url);
    assert.equal(first.status, 'revealed');
    assert.equal(first.token, value);
    assert.equal((await open(url)).status, 'opened');
  });

  test('tokens show says what the token used; tokens narrow narrows it to that', async () => {
    const created = json<Issued>(
      await world.asToken([
        'tokens',
        'create',
        '--name',
        'broad',
        '--permission',
        'blocks:read',
        '--permission',
        'chunks:read',
        '--json',
      ]),
    );
    const answer = await fetch(`${world.server.url}/v1/verify`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token: created.token, permission: 'blocks:read' }),
    });
    assert.equal(((await answer.json()) as { valid: boolean }).valid, true);
    await world.server.deps.usage.flush();
    const shown = ok(await world.asToken(['tokens', 'show', 'broad']));
    assert.match(
      shown.stdout,
      /used 1 of 2 permissions and 0 of 3 resources in the last 90 days|used 1 of 2 permissions and some named no resource/,
    );
    assert.match(shown.stdout, /latchkey tokens narrow broad/);
    const narrowed = json<{ narrowed: boolean; token: { permissions: string[] } }>(
      await world.asToken(['tokens', 'narrow', 'broad', '--json']),
    );
    assert.equal(narrowed.narrowed, true);
    assert.deepEqual(narrowed.token.permissions, ['blocks:read']);
    const again = ok(await world.asToken(['tokens', 'narrow', 'broad']));
    assert.match(again.stdout, /^Nothing to narrow: /);
  });

  test('rotate --grace-period until-used --link answers the link in --json, with the new value behind it', async () => {
    ok(await world.asToken(['tokens', 'create', '--name', 'rotating', '--permission', 'blocks:read']));
    const issued = json<Issued & { link: { url: string; expiresAt: string } }>(
      await world.asToken([
        'tokens',
        'rotate',
        'rotating',
        '--grace-period',
        'until-used',
        '--max-grace',
        '2d',
        '--link',
        '--json',
      ]),
    );
    assert.ok(Date.parse(issued.link.expiresAt) - Date.now() <= 15 * 60_000 + 5000, 'the default is 15m');
    const until = Date.parse(issued.tokenInfo.previousValueExpiresAt ?? '');
    assert.ok(Math.abs(until - Date.now() - 2 * 86_400_000) < 60_000);
    assert.equal((await open(issued.link.url)).token, issued.token);
  });
});
