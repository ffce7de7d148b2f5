// A restarted server answers correctly from its first verification, before it has scanned the stored
// tokens; once the scan is done every stored token is in memory (no read to verify one never verified by
// this process), and a revocation is still answered on the very next verification (issue 13).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { verifyRowsOfTokensAfter } from '../../server/tokens/tokens.repository.ts';
import { testDialects } from '../helpers/dialects.ts';
import { createToken, setupAdmin, verify } from '../helpers/factories.ts';
import { startServer } from '../helpers/server.ts';
import { signIn, waitFor } from '../helpers/workflows.ts';

for (const dialect of await testDialects()) {
  describe(`verify after a restart (${dialect.name})`, { skip: dialect.skip }, () => {
    test('correct from the first request; after the start-up scan, no read; revocation seen at once', async () => {
      const first = await startServer({ dialect: dialect.name, keepData: true });
      const admin = await setupAdmin(first.url);
      const tokens: { token: string; id: string }[] = [];
      for (let i = 0; i < 6; i++) tokens.push(await createToken(admin));
      await first.close();

      const server = await startServer({
        dialect: dialect.name,
        dataDir: first.dataDir,
        ...(first.databaseUrl && { databaseUrl: first.databaseUrl }),
      });
      try {
        // Whether or not the scan has run yet, the first answer is the right one.
        const a = tokens[0] as { token: string };
        assert.equal(
          (await verify(server.url, { token: a.token, permission: 'blocks:read' })).body.valid,
          true,
        );
        await waitFor(() => server.deps.verifier.filterReady, { what: 'the start-up scan' });
        assert.ok(server.deps.verifier.size >= tokens.length, `${server.deps.verifier.size} in memory`);
        const reads = server.deps.verifier.databaseReads;
        for (const { token } of tokens.slice(1)) {
          const answer = await verify(server.url, { token, permission: 'blocks:read' });
          assert.equal(answer.body.valid, true);
        }
        assert.equal(server.deps.verifier.databaseReads, reads, 'scanned tokens are verified without a read');
        // Verified once each: answered from the compact store, none taken into the front map of objects;
        // the second verification of one takes it in (server/verify/doorkeeper.ts).
        assert.equal(server.deps.verifier.frontSize, 0, 'no token verified once is in the front map');
        const again = tokens[2] as { token: string };
        assert.equal((await verify(server.url, { token: again.token })).body.valid, true);
        assert.equal(server.deps.verifier.frontSize, 1, 'a token verified twice is');

        // Revoked on this server: the next verification of the scanned token says so.
        const signedIn = await signIn(server.url, admin.email);
        const target = tokens[1] as { token: string; id: string };
        const revoked = await signedIn.delete(`/v1/orgs/${admin.orgId}/tokens/${target.id}`);
        assert.equal(revoked.status, 200, JSON.stringify(revoked.body));
        assert.deepEqual((await verify(server.url, { token: target.token })).body, {
          valid: false,
          code: 'REVOKED',
        });
      } finally {
        await server.close();
      }
    });

    test('the scan reads every stored value once, however its pages fall across rotated tokens', async () => {
      const server = await startServer({ dialect: dialect.name });
      try {
        const admin = await setupAdmin(server.url);
        const base = `/v1/orgs/${admin.orgId}/tokens`;
        const values: string[] = [];
        for (let i = 0; i < 5; i++) {
          const created = await createToken(admin);
          values.push(created.token);
          // Every other token rotated with a grace: two stored values, both valid for an hour.
          if (i % 2 === 0) {
            const rotated = await admin.client.post(`${base}/${created.id}/rotate`, { gracePeriod: '1h' });
            assert.equal(rotated.status, 200, JSON.stringify(rotated.body));
            values.push(rotated.body.token);
          }
        }
        const stored = await server.deps.db.selectFrom('tokenSecrets').select('hash').execute();
        const expected = stored.map((row) => row.hash).sort();
        assert.ok(expected.length >= values.length);
        for (const tokensPerPage of [1, 2, 1000]) {
          const read: string[] = [];
          let after = '';
          for (;;) {
            const page = await verifyRowsOfTokensAfter(server.deps.database, after, tokensPerPage);
            if (page.lastTokenId === null) break;
            read.push(...page.rows.map((row) => row.hash));
            after = page.lastTokenId;
          }
          assert.deepEqual(read.sort(), expected, `${tokensPerPage} token(s) a page`);
        }
        // And the verifier's own scan keeps both values of a rotated token: verified without a read.
        await waitFor(() => server.deps.verifier.filterReady, { what: 'the start-up scan' });
        server.deps.verifier.clear();
        await server.deps.verifier.buildFilter();
        const reads = server.deps.verifier.databaseReads;
        for (const token of values) {
          assert.equal((await verify(server.url, { token })).body.valid, true);
        }
        assert.equal(server.deps.verifier.databaseReads, reads, 'every value was kept by the scan');
      } finally {
        await server.close();
      }
    });
  });
}
