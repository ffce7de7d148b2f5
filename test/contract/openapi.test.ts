// The OpenAPI document is a contract clients generate code from (issue 14): redocly's recommended rules
// find nothing in it, every operation is named, typed and secured, the committed client types are the
// ones openapi-typescript writes for it today, and the SDK's own types agree with it.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { startServer, type TestServer } from '../helpers/server.ts';
import { apiTypesOf, generatedTypesPath } from './api-types.ts';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../../', import.meta.url));

interface Operation {
  operationId?: string;
  summary?: string;
  tags?: string[];
  security?: Record<string, string[]>[];
  responses: Record<string, { content?: Record<string, { schema?: unknown }> }>;
}
interface Document {
  info: { license?: { name: string } };
  servers?: { url: string }[];
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, unknown> };
}

describe('the OpenAPI document', () => {
  let server: TestServer;
  let document: Document;
  let dir: string;
  const operations = () =>
    Object.entries(document.paths).flatMap(([path, methods]) =>
      Object.entries(methods).map(([method, operation]) => ({
        name: `${method.toUpperCase()} ${path}`,
        operation,
      })),
    );

  before(async () => {
    server = await startServer();
    document = (await (await fetch(`${server.url}/v1/openapi.json`)).json()) as Document;
    dir = mkdtempSync(join(tmpdir(), 'latchkey-contract-'));
  });
  after(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('redocly lint with its recommended rules finds no error and no warning', async () => {
    const file = join(dir, 'openapi.json');
    writeFileSync(file, JSON.stringify(document));
    const { stdout } = await run(
      process.execPath,
      [
        join(root, 'node_modules/@redocly/cli/bin/cli.js'),
        'lint',
        file,
        '--format=json',
        '--extends=recommended',
      ],
      { cwd: dir, env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' } },
    ).catch((error: { stdout?: string }) => ({ stdout: error.stdout ?? '' }));
    const report = JSON.parse(stdout.slice(stdout.indexOf('{'))) as {
      totals: { errors: number; warnings: number };
      problems: { ruleId: string; message: string }[];
    };
    assert.deepEqual(
      report.problems.map((p) => `${p.ruleId}: ${p.message}`),
      [],
    );
    assert.deepEqual(report.totals, { ...report.totals, errors: 0, warnings: 0 });
  });

  test('every operation has a unique operationId, a summary, a tag, a typed 2xx answer and its 4xx answers', () => {
    const ids = new Set<string>();
    for (const { name, operation } of operations()) {
      assert.match(operation.operationId ?? '', /^[a-z][A-Za-z]+$/, `${name} operationId`);
      assert.ok(!ids.has(operation.operationId ?? ''), `${name}: duplicate operationId`);
      ids.add(operation.operationId ?? '');
      assert.ok(operation.summary, `${name} summary`);
      assert.equal(operation.tags?.length, 1, `${name} tag`);
      const success = Object.keys(operation.responses).filter((status) => /^2/.test(status));
      assert.ok(success.length > 0, `${name} has a 2xx answer`);
      for (const status of success) {
        if (status === '204') continue;
        const content = operation.responses[status]?.content ?? {};
        assert.ok(
          Object.values(content).some((media) => media.schema !== undefined),
          `${name} ${status} has a typed body`,
        );
      }
      assert.ok(
        Object.keys(operation.responses).some((status) => /^4/.test(status)),
        `${name} lists its refusals`,
      );
    }
  });

  test('the session, login, accept-invite, setup and member invitation answers are typed', () => {
    const ref = (path: string, method: string, status: string) =>
      document.paths[path]?.[method]?.responses[status]?.content?.['application/json']?.schema;
    assert.deepEqual(ref('/v1/auth/session', 'get', '200'), { $ref: '#/components/schemas/Session' });
    // Sign-in answers the session, or the second step's challenge when two-factor is on.
    assert.deepEqual((ref('/v1/auth/login', 'post', '200') as { anyOf: unknown[] }).anyOf[0], {
      $ref: '#/components/schemas/Session',
    });
    assert.deepEqual(ref('/v1/auth/login/two-factor', 'post', '200'), {
      $ref: '#/components/schemas/Session',
    });
    assert.deepEqual(ref('/v1/auth/accept-invite', 'post', '200'), { $ref: '#/components/schemas/Session' });
    assert.deepEqual(ref('/v1/setup', 'post', '201'), { $ref: '#/components/schemas/Session' });
    assert.deepEqual(ref('/v1/orgs/{org}/members', 'post', '201'), {
      $ref: '#/components/schemas/MemberInvitation',
    });
  });

  test('component schemas have names, never def-0 …', () => {
    const names = Object.keys(document.components.schemas);
    assert.deepEqual(
      names.filter((name) => !/^[A-Z][A-Za-z]+$/.test(name)),
      [],
    );
    for (const name of ['TokenInfo', 'IssuedToken', 'Session', 'Org', 'ErrorEnvelope', 'VerifyResult']) {
      assert.ok(names.includes(name), name);
    }
  });

  test('verify, setup, the catalog and the probes need no credential; the rest take a token or a session', () => {
    const open = operations()
      .filter(({ operation }) => operation.security !== undefined && operation.security.length === 0)
      .map(({ operation }) => operation.operationId);
    for (const id of [
      'verifyToken',
      'setup',
      'getSetupStatus',
      'getCatalog',
      'getHealth',
      'getReadiness',
      'getMetrics',
    ]) {
      assert.ok(open.includes(id), `${id} needs no credential`);
    }
    const tokens = operations().find(({ operation }) => operation.operationId === 'listTokens')?.operation;
    assert.equal(tokens?.security, undefined, 'listTokens uses the document-wide bearer or session');
  });

  test('it names its server and its license, and limit may be left out', () => {
    assert.equal(document.servers?.[0]?.url, server.url);
    assert.equal(document.info.license?.name, 'MIT');
    const list = document.paths['/v1/orgs/{org}/tokens']?.get as unknown as {
      parameters: { name: string; required?: boolean }[];
    };
    assert.equal(list.parameters.find((p) => p.name === 'limit')?.required, false);
  });

  test('the committed client types are what openapi-typescript writes for the document today', async () => {
    const committed = readFileSync(generatedTypesPath, 'utf8');
    assert.ok(
      committed === (await apiTypesOf(document)),
      'test/contract/generated/latchkey-api.d.ts is stale: run `npm run openapi:types`',
    );
  });

  test("the SDK's types agree with the document (test/contract/sdk-types.ts compiles)", async () => {
    // Incremental: the program holds the whole server (the generated-client test starts one), and only
    // what changed since the last run is checked again. The build info is a cache, never committed.
    const result = await run(
      process.execPath,
      [
        join(root, 'node_modules/typescript/bin/tsc'),
        '-p',
        join(root, 'test/contract/tsconfig.json'),
        '--incremental',
        '--tsBuildInfoFile',
        join(root, 'node_modules/.cache/latchkey/contract.tsbuildinfo'),
      ],
      { cwd: root },
    ).catch((error: { stdout?: string }) => ({ stdout: error.stdout ?? 'tsc failed' }));
    assert.equal(result.stdout.trim(), '');
  });
});
