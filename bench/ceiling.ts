// The ceiling: a bare Fastify server, no plugins, no logger, a constant JSON answer.
// POST /v1/verify parses the same JSON body the real verify gets; GET / is the classic hello world.
import Fastify from 'fastify';

const port = Number(process.argv[2] ?? 4100);
const app = Fastify({ logger: false });
app.post('/v1/verify', async () => ({ hello: 'world' }));
app.get('/', async () => ({ hello: 'world' }));
await app.listen({ port, host: '127.0.0.1' });
process.once('SIGTERM', () => {
  void app.close().then(() => process.exit(0));
});
