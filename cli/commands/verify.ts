import type { VerifyOptions } from '@latchkey/sdk';
import type { PermissionQuery } from '@latchkey/sdk/rules';
import type { Command } from 'commander';
import {
  type CommonOptions,
  collect,
  connect,
  examples,
  formatDate,
  formatList,
  printJson,
  printRecord,
  resolveOrg,
  run,
  withCommon,
} from './context.ts';
import { resolveResources } from './resolve.ts';
import type { FlagTable } from './validation.ts';

interface VerifyCommandOptions extends CommonOptions {
  permission: string[];
  any?: boolean;
  resource?: string;
  ip?: string;
}

/** The API fields of verify, by flag. */
const VERIFY_FLAGS: FlagTable = {
  token: 'the token',
  permission: '--permission',
  resource: '--resource',
  ip: '--ip',
};

export function registerVerifyCommand(program: Command): void {
  const verify = withCommon(
    program
      .command('verify <token>')
      .description(
        'Check a token (exit 0 when valid, 1 when not, printing the code); "-" reads it from standard input',
      )
      .option('--permission <key>', 'a permission it must hold (repeatable: all of them)', collect, [])
      .option('--any', 'with several --permission, any one of them is enough')
      .option(
        '--resource <resource>',
        'a resource it must be allowed on: its id, or type/name or name (with a login)',
      )
      .option('--ip <address>', 'the address the token is presented from'),
    { org: false },
  );
  examples(verify, [
    'latchkey verify lk_… --permission blocks:read',
    'latchkey verify lk_… --permission accounts:read --permission keys:read --any --resource res_…',
    'printf %s "$TOKEN" | latchkey verify - --json',
  ]);
  verify.action(
    run(async (token: string, options: VerifyCommandOptions) => {
      let value = token;
      if (value === '-') {
        value = '';
        process.stdin.setEncoding('utf8');
        for await (const chunk of process.stdin) value += chunk;
        value = value.trim();
      }
      let permission: PermissionQuery | undefined;
      if (options.permission.length === 1) permission = options.permission[0];
      else if (options.permission.length > 1) {
        permission = options.any ? { any: options.permission } : { all: options.permission };
      }
      // A resource name is looked up with the stored credential; verifying itself needs none.
      let resource = options.resource;
      if (resource && !/^res_/.test(resource)) {
        const named = await connect(options);
        [resource] = await resolveResources(named, await resolveOrg(named, options), [resource]);
      }
      const question: VerifyOptions = {
        ...(permission === undefined ? {} : { permission }),
        ...(resource ? { resource } : {}),
        ...(options.ip ? { ip: options.ip } : {}),
      };
      const context = await connect(options, false);
      const result = await context.client.verify(value, question);
      if (options.json) printJson(result);
      else if (result.valid) {
        printRecord([
          ['Valid', 'yes'],
          ['Token', result.token.id],
          ['Org', result.token.orgId],
          ['Kind', result.token.kind],
          ['Owner', result.token.ownerId],
          ['Permissions', formatList(result.token.permissions)],
          ['Resources', formatList(result.token.resourceIds, 'all resources')],
          ['Expires', formatDate(result.token.expiresAt)],
        ]);
      } else {
        process.stdout.write(`invalid: ${result.code}\n`);
      }
      return result.valid ? 0 : 1;
    }, VERIFY_FLAGS),
  );
}
