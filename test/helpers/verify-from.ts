import http from 'node:http';
import type { TestServer } from './server.ts';

export interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: any;
}

/** One HTTP request from a chosen local address (any of 127.0.0.0/8 on Linux): callers are told apart. */
export function requestFrom(
  url: string,
  options: { from?: string; method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const outgoing = http.request(
      url,
      {
        method: options.method ?? 'GET',
        localAddress: options.from ?? '127.0.0.1',
        agent: false,
        headers: options.headers ?? {},
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
            headers: response.headers,
            body: String(response.headers['content-type']).startsWith('application/json')
              ? JSON.parse(text)
              : text || undefined,
          });
        });
      },
    );
    outgoing.on('error', reject);
    outgoing.end(options.body);
  });
}

export interface VerifyAnswer {
  status: number;
  body: any;
  retryAfter: string | undefined;
}

/**
 * POST /v1/verify from a chosen local address, optionally with a bearer credential: an attacker and a
 * protected API are different clients, as they would be.
 */
export async function verifyFrom(
  server: Pick<TestServer, 'url'>,
  from: string,
  body: Record<string, unknown>,
  credential?: string,
  headers: Record<string, string> = {},
): Promise<VerifyAnswer> {
  const answer = await requestFrom(`${server.url}/v1/verify`, {
    method: 'POST',
    from,
    headers: {
      'content-type': 'application/json',
      ...headers,
      ...(credential === undefined ? {} : { authorization: `Bearer ${credential}` }),
    },
    body: JSON.stringify(body),
  });
  const retryAfter = answer.headers['retry-after'];
  return {
    status: answer.status,
    body: answer.body,
    retryAfter: Array.isArray(retryAfter) ? retryAfter[0] : retryAfter,
  };
}
