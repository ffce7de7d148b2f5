import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The server secret keys every stored hash. From LATCHKEY_SECRET, or generated on first start and kept in
 * `<data dir>/server-secret` with mode 0600. Losing it invalidates every token and session.
 */
export function loadServerSecret(dataDir: string, fromEnv: string | undefined): Buffer {
  if (fromEnv !== undefined) return Buffer.from(fromEnv, 'utf8');
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const file = join(dataDir, 'server-secret');
  try {
    const text = readFileSync(file, 'utf8').trim();
    if ((statSync(file).mode & 0o077) !== 0) chmodSync(file, 0o600);
    if (text.length < 32) throw new Error(`${file} holds fewer than 32 characters`);
    return Buffer.from(text, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const secret = randomBytes(32).toString('base64url');
  // 'wx' fails if another process created it meanwhile; then read theirs.
  try {
    writeFileSync(file, `${secret}\n`, { mode: 0o600, flag: 'wx' });
    return Buffer.from(secret, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    return Buffer.from(readFileSync(file, 'utf8').trim(), 'utf8');
  }
}
