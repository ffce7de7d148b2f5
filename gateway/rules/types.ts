// What a rules file becomes once checked: the compiled rules the gateway matches requests against, and
// the error that lists every problem of a wrong file. Loading is in load.ts, validation in validate.ts,
// matching in match.ts; index.ts is the entry the rest imports.
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
  /**
   * How refusals of JSON-RPC calls are written: `standard` JSON-RPC 2.0 error objects, or `nearcore`
   * (the same, with nearcore's `name` and `cause`, so NEAR clients show the reason). See answers.ts.
   */
  readonly jsonRpcErrors: JsonRpcErrorStyle;
  /** Cross-origin requests from browsers: null (the default) answers none of them. See cors.ts. */
  readonly cors: CorsPolicy | null;
  /** Every permission a rule names, to check against the server's catalog at start. */
  readonly permissions: ReadonlyArray<{ key: string; source: string }>;
}

export type JsonRpcErrorStyle = 'standard' | 'nearcore';

/** The `cors` section of a rules file, checked. */
export interface CorsPolicy {
  /** Exact origins (`https://app.example.com`), lower-case, as browsers send them in `Origin`. */
  readonly origins: ReadonlySet<string>;
  /** Whether `Access-Control-Allow-Credentials: true` is sent (cookies and HTTP auth of the browser). */
  readonly credentials: boolean;
  /** Methods a preflight may ask for, upper-case. */
  readonly methods: readonly string[];
  /** Request headers a preflight may ask for, lower-case (the token header is always among them). */
  readonly allowHeaders: readonly string[];
  /** Answer headers a page may read besides the CORS-safelisted ones. */
  readonly exposeHeaders: readonly string[];
  /** How long a browser may keep a preflight's answer, in seconds. */
  readonly maxAgeSeconds: number;
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
