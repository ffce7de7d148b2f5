import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tokenHint } from '@latchkey/sdk/rules';
import { sql } from 'kysely';
import { connectDatabase } from '../../server/db/connect.ts';
import type { NewToken } from '../../server/db/schema.ts';
import { newId } from '../../server/ids.ts';
import { generateTokenValue, hashSecret } from '../../server/tokens/token-value.ts';
import { insertToken } from '../../server/tokens/tokens.repository.ts';
import type { Fixture } from './api.ts';

export interface Seeded {
  /** Valid: granular blocks:read + chunks:read, limited to resA, expires in a year. */
  valid: string;
  revoked: string;
  expired: string;
  /** Cursors into org A's list (ids, newest first): one halfway down, one 100 tokens before the end. */
  cursorMiddle: string;
  cursorEnd: string;
  total: number;
  seconds: number;
}

const DAY = 86_400_000;
const PERMISSIONS = JSON.stringify(['blocks:read', 'chunks:read']);

function row(fixture: Fixture, org: 'A' | 'B', i: number, value: string, now: number): NewToken {
  return {
    id: newId('tok'),
    orgId: org === 'A' ? fixture.orgA : fixture.orgB,
    kind: 'personal',
    ownerId: fixture.userId,
    nameScope: fixture.userId,
    name: `seed-${i}`,
    description: '',
    access: 'granular',
    permissions: PERMISSIONS,
    roleId: null,
    resourceIds: JSON.stringify([org === 'A' ? fixture.resA : fixture.resB]),
    allowedIps: null,
    rateLimit: null,
    rateLimitWindow: null,
    expiresAt: now + 365 * DAY,
    createdAt: now,
    createdBy: fixture.userId,
    lastUsedAt: null,
    lastUsedIp: null,
    useCount: 0,
    status: 'active',
    revokedAt: null,
    revokedBy: null,
    revokedReason: null,
    hint: tokenHint(value),
  };
}

/**
 * Writes `total` tokens straight into the database of a stopped server, in big transactions:
 * the first `listTokens` in org A (the list case), the rest in org B. Values are made and hashed with the
 * server's own functions and its secret; each value goes to `tokensFile` as "<value> <1|2>" (resource A or B)
 * for the random-token case. The three named tokens go through the server's `insertToken`; the bulk uses
 * multi-row inserts of the same rows, because one `insertToken` per row runs at about 4,000 rows/s
 * (Kysely compiles two statements per row) and a million would take four minutes.
 */
export async function seedTokens(options: {
  dataDir: string;
  databaseUrl: string | undefined;
  fixture: Fixture;
  total: number;
  listTokens: number;
  tokensFile: string;
}): Promise<Seeded> {
  const started = performance.now();
  const { fixture, total } = options;
  const secret = Buffer.from(readFileSync(join(options.dataDir, 'server-secret'), 'utf8').trim(), 'utf8');
  const handle = connectDatabase({
    dataDir: options.dataDir,
    ...(options.databaseUrl && { databaseUrl: options.databaseUrl }),
  });
  const db = handle.db;
  const now = Date.now();
  writeFileSync(options.tokensFile, '');
  const ids: string[] = [];
  const batch = 1000;
  const perTransaction = 50_000;
  try {
    for (let start = 0; start < total; start += perTransaction) {
      const end = Math.min(total, start + perTransaction);
      let lines = '';
      await db.transaction().execute(async (trx) => {
        for (let b = start; b < end; b += batch) {
          const rows: NewToken[] = [];
          const secrets: { hash: string; tokenId: string; notAfter: null; createdAt: number }[] = [];
          for (let i = b; i < Math.min(end, b + batch); i++) {
            const org = i < options.listTokens ? 'A' : 'B';
            const value = generateTokenValue('lk');
            const r = row(fixture, org, i, value, now);
            rows.push(r);
            if (org === 'A') ids.push(r.id);
            secrets.push({ hash: hashSecret(secret, value), tokenId: r.id, notAfter: null, createdAt: now });
            lines += `${value} ${org === 'A' ? 1 : 2}\n`;
          }
          await trx.insertInto('tokens').values(rows).execute();
          await trx.insertInto('tokenSecrets').values(secrets).execute();
        }
      });
      appendFileSync(options.tokensFile, lines);
    }
    const special = async (name: string, changes: Partial<NewToken>) => {
      const value = generateTokenValue('lk');
      const r = { ...row(fixture, 'A', 0, value, now), name, ...changes };
      await insertToken(db, r, hashSecret(secret, value));
      return value;
    };
    const valid = await special('bench-valid', {});
    const revoked = await special('bench-revoked', {
      status: 'revoked',
      revokedAt: now,
      revokedBy: fixture.userId,
      revokedReason: 'bench',
    });
    const expired = await special('bench-expired', { expiresAt: now - DAY, createdAt: now - 2 * DAY });
    if (handle.dialect === 'postgres') await sql`ANALYZE`.execute(db);
    return {
      valid,
      revoked,
      expired,
      cursorMiddle: ids[Math.floor(ids.length / 2)] ?? '',
      cursorEnd: ids[Math.min(100, ids.length - 1)] ?? '',
      total,
      seconds: (performance.now() - started) / 1000,
    };
  } finally {
    await handle.close();
  }
}
