import { createHmac, randomBytes } from 'node:crypto';
import { TOKEN_ALPHABET, TOKEN_RANDOM_LENGTH, tokenChecksum } from '@latchkey/sdk/rules';

// The format's shape, checksum and hint are shared rules (`@latchkey/sdk/rules`: isWellFormedToken,
// tokenHint); what needs a secret or randomness stays here.

/**
 * A new token value: `<prefix>_<30 base62 random chars><6 base62 chars of CRC-32>`.
 * 30 base62 characters carry 178 bits; rejection sampling keeps every character uniform.
 */
export function generateTokenValue(prefix: string): string {
  let random = '';
  while (random.length < TOKEN_RANDOM_LENGTH) {
    for (const byte of randomBytes(48)) {
      // 248 = 4 * 62: bytes at or above it would bias the first characters of the alphabet.
      if (byte < 248 && random.length < TOKEN_RANDOM_LENGTH) random += TOKEN_ALPHABET[byte % 62];
    }
  }
  return `${prefix}_${random}${tokenChecksum(random)}`;
}

/** HMAC-SHA-256 under the server secret: the only form in which a token value is stored. */
export function hashSecret(secret: Buffer, value: string): string {
  return createHmac('sha256', secret).update(value).digest('base64url');
}
