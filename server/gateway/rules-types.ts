// What a rules file becomes once checked: the compiled rules the gateway matches requests against, and
// the error that lists every problem of a wrong file. Loading is in rules-load.ts, validation in
// rules-validate.ts, matching in rules-match.ts; rules.ts is the entry the rest imports.
import type { PermissionQuery } from '@latchkey/sdk/rules';

export type { PermissionQuery } from '@latchkey/sdk/rules';

/** Where a rule takes the resource (`res_…`) a token must be allowed on. */
export type ResourceSpec =
  | { kind: 'fixed'; id: string }
  | { kind: 'param'; name: string; map: Readonly<Record<string, string>> | null }
  | { kind: 'header'; name: string; map: Readonly<Record<string, string>> | null };

export type RuleAccess =
  | { type: 'permission'; permission: PermissionQuery }
  | { type: 'authenticated' }
  | { type: 'public' }
  | { type: 'deny' };

/** A test of one value of a JSON-RPC call's params. */
export type ValueMatcher = (value: unknown) => boolean;

export interface JsonRpcMatcher {
  method: ((method: string) => boolean) | null;
  params: ReadonlyArray<{ path: readonly string[]; test: ValueMatcher }>;
}

export interface CompiledRule {
  readonly index: number;
  readonly name: string;
  /** Upper-case methods, or null for any. */
  readonly methods: ReadonlySet<string> | null;
  readonly path: RegExp;
  readonly paramNames: readonly string[];
  readonly jsonrpc: JsonRpcMatcher | null;
  readonly access: RuleAccess;
  readonly resource: ResourceSpec | null;
  /** Where the rule was written, for logs and answers: `near-rpc.yaml line 12`. */
  readonly source: string;
}

export interface GatewayRules {
  readonly rules: readonly CompiledRule[];
  /** Lower-case name of the header holding the token; `authorization` takes `Bearer <token>`. */
  readonly tokenHeader: string;
  readonly identityHeaders: { readonly tokenId: string; readonly orgId: string };
  readonly maxJsonRpcBodyBytes: number;
  /** Whether path patterns match regardless of letter case (`caseInsensitivePaths`, default true). */
  readonly caseInsensitivePaths: boolean;
  /** Every permission a rule names, to check against the server's catalog at start. */
  readonly permissions: ReadonlyArray<{ key: string; source: string }>;
}

export interface RuleProblem {
  file: string;
  line: number | null;
  path: string;
  message: string;
}

/** The rules file is wrong: every problem found, each with its line. Start-up stops on it. */
export class RulesError extends Error {
  constructor(readonly problems: RuleProblem[]) {
    super(
      problems
        .map(
          (p) =>
            `${p.file}${p.line === null ? '' : ` line ${p.line}`}: ${p.path ? `${p.path}: ` : ''}${p.message}`,
        )
        .join('\n'),
    );
    this.name = 'RulesError';
  }
}
