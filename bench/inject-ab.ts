// In-process A/B of the hot path, without sockets or a load generator: bare Fastify POST against Latchkey's
// verify (same body), interleaved batches of app.inject, CPU per request from process.cpuUsage(); the median
// of the per-round ratios. Steadier than wrk on a busy machine; it leaves out the socket work both share.
//   AB_ROUNDS=30 AB_DIALECT=sqlite|postgres node --import tsx bench/inject-ab.ts
import Fastify from 'fastify';
import { createResource, createToken, setupAdmin } from '../test/helpers/factories.ts';
import { startServer } from '../test/helpers/server.ts';

const s = await startServer({ dialect: (process.env.AB_DIALECT as 'sqlite' | 'postgres') ?? 'sqlite' });
const admin = await setupAdmin(s.url);
const resource = await createResource(admin);
const { token } = await createToken(admin);
const ceiling = Fastify({ logger: false });
ceiling.post('/v1/verify', async () => ({ hello: 'world' }));
await ceiling.ready();
// The warm case of the table: a permission and a resource asked about.
const payload = JSON.stringify({ token, permission: 'blocks:read', resource: resource.id, ip: '10.0.0.1' });
const headers = { 'content-type': 'application/json' };
const first = await s.app.inject({ method: 'POST', url: '/v1/verify', payload, headers });
if (!first.body.includes('"valid":true')) throw new Error(first.body);
const batch = async (app: typeof ceiling, n: number) => {
  const t = process.cpuUsage();
  for (let i = 0; i < n; i++) await app.inject({ method: 'POST', url: '/v1/verify', payload, headers });
  const c = process.cpuUsage(t);
  return (c.user + c.system) / n;
};
for (let i = 0; i < 5; i++) {
  await batch(ceiling, 200);
  await batch(s.app as never, 200);
}
const ratios: number[] = [];
const cs: number[] = [];
const vs: number[] = [];
for (let i = 0; i < Number(process.env.AB_ROUNDS ?? 40); i++) {
  const c = await batch(ceiling, 300);
  const v = await batch(s.app as never, 300);
  ratios.push(c / v);
  cs.push(c);
  vs.push(v);
}
const med = (x: number[]) => [...x].sort((a, b) => a - b)[Math.floor(x.length / 2)]!;
console.log(
  `inject A/B: ceiling ${med(cs).toFixed(1)} µs, verify ${med(vs).toFixed(1)} µs, median ratio ${med(ratios).toFixed(3)}× (${ratios.length} rounds)`,
);
await ceiling.close();
await s.close();
