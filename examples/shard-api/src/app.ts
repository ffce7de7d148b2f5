import type { Latchkey, PermissionQuery } from '@latchkey/sdk';
import { requireToken } from '@latchkey/sdk/fastify';
import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify';
import { ShardState } from './data.ts';

export interface ShardApiOptions {
  /** The Latchkey client that verifies callers (give it a cache in production). */
  latchkey: Latchkey;
  /** Shard name → its Latchkey resource id (`res_…`): each shard's routes are limited to it. */
  shards: Record<string, string>;
  logger?: boolean;
}

type ShardRequest = FastifyRequest<{ Params: { shard: string } }>;

function notFound(what: string) {
  return { error: { code: 'NOT_FOUND', message: `${what} not found`, details: null } };
}

/**
 * Builds the shard API: every route sits under `/shards/:shard/…`, needs the matching shard
 * permission and is limited to that shard's resource.
 */
export function buildShardApi(options: ShardApiOptions): FastifyInstance {
  const app = Fastify({ logger: options.logger ?? false });
  const states = new Map(Object.keys(options.shards).map((name) => [name, new ShardState(name)]));

  // The guard for one route: the permission, and the resource of the shard named in the path.
  const guard = (permission: PermissionQuery) =>
    requireToken({
      client: options.latchkey,
      permission,
      resource: (request) => options.shards[(request as ShardRequest).params.shard],
    });

  const state = (request: ShardRequest): ShardState => {
    const found = states.get(request.params.shard);
    if (!found) throw new Error('unreachable: unknown shards are answered 404 before the guard');
    return found;
  };

  app.get('/healthz', async () => ({ status: 'ok', shards: Object.keys(options.shards) }));

  app.register(
    async (shard) => {
      // An unknown shard is 404 before anything else, so the guard always has a resource to check.
      shard.addHook('onRequest', async (request, reply) => {
        const { shard: name } = request.params as { shard: string };
        if (!states.has(name)) return reply.code(404).send(notFound(`shard ${name}`));
        return undefined;
      });

      shard.get('/blocks/latest', { preHandler: guard('blocks:read') }, async (request) =>
        state(request as ShardRequest).latestBlock(),
      );

      shard.get<{ Params: { shard: string; height: string } }>(
        '/blocks/:height',
        { preHandler: guard('blocks:read') },
        async (request, reply) => {
          const block = state(request).blocks.find((b) => String(b.height) === request.params.height);
          return block ?? reply.code(404).send(notFound('block'));
        },
      );

      shard.get<{ Params: { shard: string; hash: string } }>(
        '/chunks/:hash',
        { preHandler: guard('chunks:read') },
        async (request, reply) =>
          state(request).chunks.get(request.params.hash) ?? reply.code(404).send(notFound('chunk')),
      );

      shard.get<{ Params: { shard: string; accountId: string } }>(
        '/accounts/:accountId',
        { preHandler: guard('accounts:read') },
        async (request, reply) => {
          const account = state(request).accounts.get(request.params.accountId);
          if (!account) return reply.code(404).send(notFound('account'));
          const { accountId, balance, storageUsage, codeHash } = account;
          return { accountId, balance, storageUsage, codeHash };
        },
      );

      shard.get<{ Params: { shard: string; accountId: string } }>(
        '/accounts/:accountId/keys',
        { preHandler: guard('keys:read') },
        async (request, reply) => {
          const account = state(request).accounts.get(request.params.accountId);
          return account ? { keys: account.keys } : reply.code(404).send(notFound('account'));
        },
      );

      shard.get<{ Params: { shard: string; accountId: string } }>(
        '/accounts/:accountId/contract/code',
        { preHandler: guard('contract-code:read') },
        async (request, reply) => {
          const contract = state(request).accounts.get(request.params.accountId)?.contract;
          return contract ? { codeBase64: contract.code } : reply.code(404).send(notFound('contract'));
        },
      );

      shard.get<{ Params: { shard: string; accountId: string } }>(
        '/accounts/:accountId/contract/state',
        { preHandler: guard('contract-state:read') },
        async (request, reply) => {
          const contract = state(request).accounts.get(request.params.accountId)?.contract;
          return contract ? { state: contract.state } : reply.code(404).send(notFound('contract'));
        },
      );

      shard.get<{ Params: { shard: string; hash: string } }>(
        '/transactions/:hash',
        { preHandler: guard('transactions:read') },
        async (request, reply) =>
          state(request).transactions.get(request.params.hash) ??
          reply.code(404).send(notFound('transaction')),
      );

      shard.post<{
        Params: { shard: string };
        Body: { signerId: string; receiverId: string; actions?: unknown[] };
      }>(
        '/transactions',
        {
          preHandler: guard('transactions:write'),
          schema: {
            body: {
              type: 'object',
              required: ['signerId', 'receiverId'],
              properties: {
                signerId: { type: 'string', minLength: 1 },
                receiverId: { type: 'string', minLength: 1 },
                actions: { type: 'array' },
              },
            },
          },
        },
        async (request, reply) => {
          const { signerId, receiverId, actions = [] } = request.body;
          const tx = state(request).submit(
            { signerId, receiverId, actions },
            request.latchkey?.id ?? 'unknown',
          );
          return reply.code(202).send(tx);
        },
      );
    },
    { prefix: '/shards/:shard' },
  );

  return app;
}
