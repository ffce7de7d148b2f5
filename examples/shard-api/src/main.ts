// Starts the shard API. Configuration (environment):
//   LATCHKEY_URL     the Latchkey server (default http://127.0.0.1:4000)
//   LATCHKEY_TOKEN   a token of your org with `resources:read`: the API looks up its shards
//                    (resources of type "shard") and keeps a verify cache fed by token events
//   SHARD_RESOURCES  instead of the lookup: "testnet-1=res_…,testnet-2=res_…"
//   PORT, HOST       default 4100, 127.0.0.1
import { Latchkey } from '@latchkey/sdk';
import { buildShardApi } from './app.ts';

const baseUrl = process.env.LATCHKEY_URL ?? 'http://127.0.0.1:4000';
const token = process.env.LATCHKEY_TOKEN;
const latchkey = new Latchkey({ baseUrl, ...(token ? { token, cache: { ttlMs: 60_000 } } : {}) });

async function shardResources(): Promise<Record<string, string>> {
  const fromEnv = process.env.SHARD_RESOURCES;
  if (fromEnv) {
    return Object.fromEntries(
      fromEnv.split(',').map((pair) => pair.split('=').map((s) => s.trim()) as [string, string]),
    );
  }
  if (!token) throw new Error('Set LATCHKEY_TOKEN (to look up shard resources) or SHARD_RESOURCES');
  const { orgs, token: self } = await latchkey.auth.session();
  const org = self?.orgId ?? orgs[0]?.id;
  if (!org) throw new Error('The token belongs to no org');
  const page = await latchkey.resources.list(org, { type: 'shard', limit: 100 });
  return Object.fromEntries(page.items.filter((r) => r.type === 'shard').map((r) => [r.name, r.id]));
}

const shards = await shardResources();
if (Object.keys(shards).length === 0) {
  throw new Error(
    'No shard resources: create one with `latchkey resources add --type shard --name testnet-1`',
  );
}
const app = buildShardApi({ latchkey, shards, logger: true });
app.addHook('onClose', async () => latchkey.close());
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void app.close());
await app.listen({ port: Number(process.env.PORT ?? 4100), host: process.env.HOST ?? '127.0.0.1' });
