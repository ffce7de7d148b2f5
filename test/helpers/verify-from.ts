import http from 'node:http';
import type { TestServer } from './server.ts';

export interface VerifyAnswer {
  status: number;
  body: any;
  retryAfter: string | undefined;
}

/**
 * POST /v1/verify from a chosen local address (any of 127.0.0.0/8 on Linux), optionally with a bearer
 * credential: an attacker and a protected API are different clients, as they would be.
 */
export function verifyFrom(
  server: Pick<TestServer, 'url'>,
  from: string,
  body: Record<string, unknown>,
  credential?: string,
  headers: Record<string, string> = {},
): Promise<VerifyAnswer> {
  const payload = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const request = http.request(
      `${server.url}/v1/verify`,
      {
        method: 'POST',
        localAddress: from,
        agent: false,
        headers: {
          'content-type': 'application/json',
          ...headers,
          ...(credential === undefined ? {} : { authorization: `Bearer ${credential}` }),
        },
      },
      (response) => {
        let text = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => {
          text += chunk;
        });
        response.on('end', () => {
          resolve({
            status: response.statusCode ?? 0,
            body: JSON.parse(text),
            retryAfter: response.headers['retry-after'],
          });
        });
      },
    );
    request.on('error', reject);
    request.end(payload);
  });
}
