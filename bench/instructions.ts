// Machine instructions per request of the hot path, counted by valgrind (callgrind), which the machine's load
// cannot move: the same script is run for N and for 2N requests after the same warm-up, and the difference
// divided by N is what one request costs (start-up and warm-up cancel out). In-process through app.inject
// (no sockets): everything Fastify and Latchkey do per request, without the kernel's share.
//   node --import tsx bench/instructions.ts [N=2000]    # prints the mean of the whole run
//   BENCH_CASE=valid|unknown|ceiling
//   valgrind --tool=callgrind --smc-check=all-non-file --callgrind-out-file=/dev/null \
//     node --import tsx bench/instructions.ts 2000      # then 4000; (Ir(4000) - Ir(2000)) / 2000
import { randomBytes } from 'node:crypto';
import { tokenChecksum } from '@latchkey/sdk/rules';
import Fastify from 'fastify';
import { createResource, createToken, setupAdmin } from '../test/helpers/factories.ts';
import { startServer } from '../test/helpers/server.ts';

const n = Number(process.argv[2] ?? 2000);
const which = process.env.BENCH_CASE ?? 'valid';
const headers = { 'content-type': 'application/json' };

function unknownValue(): string {
  const alphabet = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
  let random = '';
  for (const byte of randomBytes(30)) random += alphabet[byte % 62];
  return `lk_${random}${tokenChecksum(random)}`;
}

if (which === 'ceiling') {
  const app = Fastify({ logger: false });
  app.post('/v1/verify', async () => ({ hello: 'world' }));
  await app.ready();
  const payload = JSON.stringify({ token: unknownValue(), permission: 'blocks:read', resource: 'res_x' });
  for (let i = 0; i < 2000 + n; i++)
    await app.inject({ method: 'POST', url: '/v1/verify', payload, headers });
  await app.close();
} else {
  const server = await startServer({ env: { VERIFY_FAILURE_LIMIT: '1000000', LOG_LEVEL: 'warn' } });
  const admin = await setupAdmin(server.url);
  const resource = await createResource(admin);
  const { token } = await createToken(admin);
  const body = (value: string) =>
    JSON.stringify({ token: value, permission: 'blocks:read', resource: resource.id, ip: '10.0.0.1' });
  const valid = body(token);
  const first = await server.app.inject({ method: 'POST', url: '/v1/verify', payload: valid, headers });
  if (!first.body.includes('"valid":true')) throw new Error(first.body);
  const payloads =
    which === 'unknown'
      ? Array.from({ length: 2000 + n }, () => body(unknownValue()))
      : new Array<string>(2000 + n).fill(valid);
  for (let i = 0; i < 2000 + n; i++) {
    await server.app.inject({ method: 'POST', url: '/v1/verify', payload: payloads[i] as string, headers });
  }
  await server.close();
}
