// Differential test (issue 12): the server's verifier and the SDK's local evaluation agree.
// A real server (SQLite, and PostgreSQL when reachable) holds random tokens: random grants (full,
// granular, a role), resource limits, allowedIps (IPv4, IPv6, IPv4-mapped IPv6, CIDR blocks), kinds,
// expiries. For random questions (a key, {all}, {any}, unknown keys and '*'), resources (the org's,
// another org's, unknown ones) and addresses, `POST /v1/verify` is the truth, and:
//  - `evaluateToken(record, question)` gives the same answer whenever the record can decide it (the
//    question names no resource the record cannot place, and an address when the record has a list);
//  - the cache's judgement (`answerFromEntry` on a real `VerifyCache` entry, fed the way the client
//    feeds it) gives the same answer whenever it answers at all, and asks the server otherwise.
// Seeded; the seed is printed on failure (override with DIFFERENTIAL_SEED, runs with DIFFERENTIAL_RUNS).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import fc from 'fast-check';
import { testDialects } from '../../../test/helpers/dialects.ts';
import { type AdminSession, createResource, setupAdmin, unique } from '../../../test/helpers/factories.ts';
import { startServer, type TestServer } from '../../../test/helpers/server.ts';
import { answerFromEntry, VerifyCache } from '../src/cache.ts';
import { evaluateToken } from '../src/permissions.ts';
import type { PermissionQuery } from '../src/rules/permissions.ts';
import type { VerifiedToken, VerifyFailureCode, VerifyOptions } from '../src/types.ts';

const SEED = Number(process.env.DIFFERENTIAL_SEED ?? 1_205_2026);
const RUNS = Number(process.env.DIFFERENTIAL_RUNS ?? 25);
const QUESTIONS = 12;

const IP_ENTRIES = [
  '10.0.0.0/8',
  '10.1.2.3',
  '192.168.0.0/16',
  '203.0.113.0/24',
  '0.0.0.0/0',
  '::ffff:10.0.0.1/64',
  '::ffff:10.0.0.0/104',
  '::ffff:192.168.1.1',
  '::ffff:192.168.1.0/120',
  '2001:db8::/32',
  '::1',
  '::/0',
];
const ADDRESSES = [
  '10.1.2.3',
  '10.200.0.1',
  '::ffff:10.1.2.3',
  '::ffff:a01:203',
  '192.168.1.1',
  '::ffff:192.168.1.1',
  '192.168.1.77',
  '203.0.113.7',
  '198.51.100.1',
  '8.8.8.8',
  '::ffff:8.8.8.8',
  '127.0.0.1',
  '2001:db8::1',
  '2001:db9::1',
  '::1',
  '::2',
];
const UNKNOWN_KEYS = ['*', 'nope:read', 'contract.code:read', 'blocks:*', 'Blocks:read'];

type Answer = VerifyFailureCode | null;
type VerifyAnswer = { valid: true; token: VerifiedToken } | { valid: false; code: VerifyFailureCode };

interface TokenSpec {
  kind: 'personal' | 'application';
  grant:
    | { access: 'full' }
    | { access: 'granular'; permissions: string[] }
    | { access: 'granular'; roleId: string };
  resources: number[] | null;
  allowedIps: string[] | null;
  rateLimit: boolean;
  expiry: 'never' | '1h' | '300d';
}

interface Question {
  permission?: PermissionQuery;
  resource?: string;
  ip?: string;
}

for (const dialect of await testDialects()) {
  describe(`the server's verify and the SDK's local evaluation agree (${dialect.name})`, {
    skip: dialect.skip,
  }, () => {
    let server: TestServer;
    let admin: AdminSession;
    let catalog: string[];
    let roles: string[];
    let resources: string[];
    let foreignResource: string;
    const orgResources = new Set<string>();

    before(async () => {
      // The tests call verify from 127.0.0.1 as a trusted proxy, so that `ip` is the end client judged.
      server = await startServer({
        dialect: dialect.name,
        env: { VERIFY_TRUSTED_PROXIES: '127.0.0.1/32,::1/128' },
      });
      admin = await setupAdmin(server.url);
      const org = `/v1/orgs/${admin.orgId}`;
      assert.equal((await admin.client.patch(org, { policy: { allowNoExpiry: true } })).status, 200);
      const listed = (await admin.client.get('/v1/permissions')).body as { items: Array<{ key: string }> };
      catalog = listed.items.map((p) => p.key);
      const custom = await admin.client.post(`${org}/roles`, {
        name: unique('indexer'),
        permissions: ['blocks:read', 'chunks:read', 'tokens:read'],
      });
      assert.equal(custom.status, 201, JSON.stringify(custom.body));
      roles = ['rol_readonly', 'rol_readwrite', 'rol_admin', custom.body.id as string];
      resources = [];
      for (let i = 0; i < 3; i++) resources.push((await createResource(admin)).id);
      for (const id of resources) orgResources.add(id);
      const other = await admin.client.post('/v1/orgs', { name: unique('Other') });
      assert.equal(other.status, 201, JSON.stringify(other.body));
      foreignResource = (await createResource({ ...admin, orgId: other.body.id })).id;
    });
    after(async () => {
      await server?.close();
    });

    async function verify(body: Record<string, unknown>): Promise<VerifyAnswer> {
      const response = await fetch(`${server.url}/v1/verify`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      const text = await response.text();
      assert.equal(response.status, 200, `verify ${JSON.stringify({ ...body, token: '…' })} → ${text}`);
      return JSON.parse(text);
    }

    async function createToken(spec: TokenSpec): Promise<string> {
      const answer = await admin.client.post(`/v1/orgs/${admin.orgId}/tokens`, {
        name: unique('diff'),
        kind: spec.kind,
        ...spec.grant,
        ...(spec.resources === null ? {} : { resourceIds: spec.resources.map((i) => resources[i]) }),
        ...(spec.allowedIps === null ? {} : { allowedIps: spec.allowedIps }),
        ...(spec.rateLimit ? { rateLimit: { limit: 100_000, windowSeconds: 60 } } : {}),
        ...(spec.expiry === 'never' ? { expiresAt: null } : { expiresIn: spec.expiry }),
      });
      assert.equal(answer.status, 201, `create ${JSON.stringify(spec)} → ${JSON.stringify(answer.body)}`);
      return answer.body.token as string;
    }

    /** The token's verified record, as a client gets it: from a valid answer, at an address it allows. */
    async function recordOf(
      value: string,
      allowedIps: string[] | null,
    ): Promise<{ record: VerifiedToken; ip: string | undefined } | undefined> {
      const candidates = allowedIps === null ? [undefined] : ADDRESSES;
      const answers = await Promise.all(
        candidates.map((ip) => verify({ token: value, ...(ip === undefined ? {} : { ip }) })),
      );
      for (const [i, answer] of answers.entries()) {
        if (answer.valid) return { record: answer.token, ip: candidates[i] };
        assert.equal(answer.code, 'IP_NOT_ALLOWED');
      }
      return undefined;
    }

    const arbitraries = () => {
      const key = fc.oneof(
        { weight: 4, arbitrary: fc.constantFrom(...catalog) },
        { weight: 1, arbitrary: fc.constantFrom(...UNKNOWN_KEYS) },
      );
      const keys = fc.uniqueArray(key, { minLength: 1, maxLength: 4 });
      const permission: fc.Arbitrary<PermissionQuery | undefined> = fc.oneof(
        fc.constant(undefined),
        key,
        keys.map((all) => ({ all })),
        keys.map((any) => ({ any })),
      );
      const resource = fc.option(
        fc.oneof(
          { weight: 3, arbitrary: fc.constantFrom(...[0, 1, 2].map((i) => () => resources[i] as string)) },
          { weight: 1, arbitrary: fc.constant(() => foreignResource) },
          { weight: 1, arbitrary: fc.constant(() => 'res_nope') },
        ),
        { nil: undefined },
      );
      const ip = fc.option(
        fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...ADDRESSES) }, fc.ipV4(), fc.ipV6()),
        {
          nil: undefined,
          freq: 4,
        },
      );
      const question = fc.record({ permission, resource, ip });
      const grant: fc.Arbitrary<TokenSpec['grant']> = fc.oneof(
        fc.constant({ access: 'full' as const }),
        fc
          .uniqueArray(fc.constantFrom(...catalog), { minLength: 1, maxLength: 6 })
          .map((permissions) => ({ access: 'granular' as const, permissions })),
        fc.constantFrom(...roles).map((roleId) => ({ access: 'granular' as const, roleId })),
      );
      const spec: fc.Arbitrary<TokenSpec> = fc.record({
        kind: fc.constantFrom('personal' as const, 'application' as const),
        grant,
        resources: fc.option(fc.uniqueArray(fc.constantFrom(0, 1, 2), { minLength: 1, maxLength: 3 }), {
          nil: null,
        }),
        allowedIps: fc.option(
          fc.uniqueArray(fc.constantFrom(...IP_ENTRIES), { minLength: 1, maxLength: 3 }),
          {
            nil: null,
          },
        ),
        rateLimit: fc.integer({ min: 0, max: 7 }).map((n) => n === 0),
        expiry: fc.constantFrom('never' as const, '1h' as const, '300d' as const),
      });
      return { spec, questions: fc.array(question, { minLength: QUESTIONS, maxLength: QUESTIONS }) };
    };

    test('on random tokens, questions, resources and addresses', async (t) => {
      const { spec, questions } = arbitraries();
      let decidedByRecord = 0;
      let decidedByCache = 0;
      let asked = 0;
      const seen = new Set<string>();
      await fc
        .assert(
          fc.asyncProperty(spec, questions, async (tokenSpec, rawQuestions) => {
            const value = await createToken(tokenSpec);
            const found = await recordOf(value, tokenSpec.allowedIps);
            if (found === undefined) return; // no address of the pool is allowed: nothing to cache
            const cache = new VerifyCache({ ttlMs: 600_000 });
            cache.setValid(value, found.record, found.ip === undefined ? {} : { ip: found.ip });
            const asking: Question[] = rawQuestions.map((raw) => ({
              ...(raw.permission === undefined ? {} : { permission: raw.permission }),
              ...(raw.resource === undefined ? {} : { resource: raw.resource() }),
              ...(raw.ip === undefined ? {} : { ip: raw.ip }),
            }));
            // The server's answers do not depend on one another: ask at once, then judge in order.
            const answers = await Promise.all(
              asking.map((question) => verify({ token: value, ...question })),
            );
            for (const [i, question] of asking.entries()) {
              const answer = answers[i] as VerifyAnswer;
              const truth: Answer = answer.valid ? null : answer.code;
              seen.add(truth ?? 'valid');
              asked++;
              const where: string = `${JSON.stringify(question)} on ${JSON.stringify(tokenSpec)} (record ${JSON.stringify(found.record)})`;

              const record: VerifiedToken = found.record;
              const resourcePlaced =
                question.resource === undefined ||
                orgResources.has(question.resource) ||
                (record.resourceIds !== null && !record.resourceIds.includes(question.resource));
              const addressPlaced = question.ip !== undefined || record.allowedIps === null;
              if (resourcePlaced && addressPlaced) {
                decidedByRecord++;
                assert.equal(
                  evaluateToken(record, question as VerifyOptions),
                  truth,
                  `evaluateToken: ${where}`,
                );
              }

              const entry = cache.get(value);
              if (tokenSpec.rateLimit)
                assert.equal(entry, undefined, 'a token with its own rate limit is never cached');
              if (entry?.valid) {
                const local = answerFromEntry(entry, question as VerifyOptions);
                if (local !== undefined) {
                  decidedByCache++;
                  assert.equal(local.valid ? null : local.code, truth, `cache: ${where}`);
                }
              }
              // As the client does after asking the server: a valid answer confirms the address and resource.
              if (answer.valid)
                cache.setValid(value, answer.token, { ip: question.ip, resource: question.resource });
            }
          }),
          { seed: SEED, numRuns: RUNS, endOnFailure: true },
        )
        .catch((error: unknown) => {
          throw new Error(
            `differential test failed (seed ${SEED}; rerun with DIFFERENTIAL_SEED=${SEED})\n${String(error)}`,
          );
        });
      t.diagnostic(
        `${RUNS} tokens, ${asked} questions (seed ${SEED}): ${decidedByRecord} decided by evaluateToken, ${decidedByCache} by the cache; answers seen: ${[...seen].join(', ')}`,
      );
      // The property must have met every kind of answer and decided most questions locally.
      for (const code of ['valid', 'FORBIDDEN', 'RESOURCE_FORBIDDEN', 'IP_NOT_ALLOWED']) {
        assert.ok(seen.has(code), `no question was answered ${code}: the generators miss a case`);
      }
      assert.ok(decidedByRecord > asked / 3, `the record decided ${decidedByRecord} of ${asked}`);
      assert.ok(decidedByCache > asked / 3, `the cache decided ${decidedByCache} of ${asked}`);
    });

    test("past a token's expiry and past a rotated value's grace, both refuse alike", async () => {
      const org = `/v1/orgs/${admin.orgId}`;
      const ends = Date.now() + 1500;
      const expiring: string[] = [];
      for (const grant of [
        { access: 'full', allowedIps: ['10.0.0.0/8'] },
        { access: 'granular', permissions: ['blocks:read'], resourceIds: [resources[0]] },
        { access: 'granular', roleId: 'rol_readonly' },
      ]) {
        const created = await admin.client.post(`${org}/tokens`, {
          name: unique('expiring'),
          ...grant,
          expiresAt: new Date(ends).toISOString(),
        });
        assert.equal(created.status, 201, JSON.stringify(created.body));
        expiring.push(created.body.token as string);
      }
      const graced: string[] = [];
      for (const kind of ['personal', 'application']) {
        const created = await admin.client.post(`${org}/tokens`, {
          name: unique('rotated'),
          kind,
          access: 'granular',
          permissions: ['blocks:read', 'chunks:read'],
          expiresIn: '1h',
        });
        assert.equal(created.status, 201, JSON.stringify(created.body));
        const rotated = await admin.client.post(`${org}/tokens/${created.body.clientId}/rotate`, {
          gracePeriod: 1,
        });
        assert.equal(rotated.status, 200, JSON.stringify(rotated.body));
        graced.push(created.body.token as string);
      }
      const held = new Map<string, VerifiedToken>();
      const cache = new VerifyCache({ ttlMs: 600_000 });
      let latest = 0;
      for (const value of [...expiring, ...graced]) {
        const answer = await verify({ token: value, ip: '10.1.2.3' });
        assert.ok(answer.valid, `${JSON.stringify(answer)}: valid before its end`);
        held.set(value, answer.token);
        cache.setValid(value, answer.token, { ip: '10.1.2.3' });
        const end = Date.parse(answer.token.valueExpiresAt ?? answer.token.expiresAt ?? '');
        latest = Math.max(latest, end);
      }
      // Wait for the clock itself: the ends are the event.
      await delay(Math.max(0, latest - Date.now() + 50));
      const questions: Question[] = [
        {},
        { permission: 'blocks:read' },
        { permission: { any: ['nope:read'] }, ip: '192.0.2.1' },
        { resource: resources[1] as string, ip: '10.1.2.3' },
      ];
      for (const [value, record] of held) {
        const expected: Answer = expiring.includes(value) ? 'EXPIRED' : 'NOT_FOUND';
        assert.equal(cache.get(value), undefined, 'a cache entry never outlives the token or the value');
        for (const question of questions) {
          const answer = await verify({ token: value, ...question });
          assert.equal(answer.valid ? null : answer.code, expected, JSON.stringify(question));
          assert.equal(evaluateToken(record, question as VerifyOptions), expected, JSON.stringify(question));
        }
      }
    });
  });
}
