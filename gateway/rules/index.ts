// The gateway's rules file, in three parts: loading the text as JSON or YAML (load.ts), validating it
// with every problem named by its line and compiling it (validate.ts), and matching requests against the
// compiled rules (match.ts). Their shared types are in types.ts. This is the entry the rest imports.
export { parseFile, type RulesSource, readRulesSource } from './load.ts';
export { matchesCall, type RouteMatch, routeMatches } from './match.ts';
export type {
  CompiledRule,
  CorsPolicy,
  GatewayRules,
  JsonRpcErrorStyle,
  JsonRpcMatcher,
  PermissionQuery,
  ResourceSpec,
  RuleAccess,
  RuleProblem,
} from './types.ts';
export { RulesError } from './types.ts';
export { checkPermissions, type ParseOptions, parseRules } from './validate.ts';
