// A secret-scanning partner's signing key, as GitHub has: reports signed with it pass POST /v1/leaks.
import { generateKeyPairSync, type KeyObject, sign } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface LeakSigner {
  /** The key identifier the server knows the key by. */
  keyId: string;
  /** Path of the `{public_keys: [...]}` file, for LEAK_REPORT_PUBLIC_KEYS. */
  keysFile: string;
  privateKey: KeyObject;
  /** The two headers GitHub sends with a report whose raw body is `body`. */
  headers(body: string, privateKey?: KeyObject): Record<string, string>;
}

/** A fresh ECDSA P-256 key pair and its public key in GitHub's published format. */
export function leakSigner(keyId = 'test-key-1'): LeakSigner {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const keysFile = join(mkdtempSync(join(tmpdir(), 'latchkey-leak-keys-')), 'keys.json');
  writeFileSync(
    keysFile,
    JSON.stringify({
      public_keys: [
        { key_identifier: keyId, key: publicKey.export({ type: 'spki', format: 'pem' }), is_current: true },
      ],
    }),
  );
  return {
    keyId,
    keysFile,
    privateKey,
    headers: (body, key = privateKey) => ({
      'github-public-key-identifier': keyId,
      'github-public-key-signature': sign('sha256', Buffer.from(body), key).toString('base64'),
    }),
  };
}
