// The gateway's rules file, in three parts: loading the text as JSON or YAML (rules-load.ts), validating
// it with every problem named by its line and compiling it (rules-validate.ts), and matching requests
// against the compiled rules (rules-match.ts). Their shared types are in rules-types.ts. This is the
// entry the rest of the gateway, the CLI and the tests import.
export { parseFile, type RulesSource, readRulesSource } from './rules-load.ts';
export { matchesCall, type RouteMatch, routeMatches } from './rules-match.ts';
export type {
  CompiledRule,
  GatewayRules,
  JsonRpcMatcher,
  PermissionQuery,
  ResourceSpec,
  RuleAccess,
  RuleProblem,
} from './rules-types.ts';
export { RulesError } from './rules-types.ts';
export { checkPermissions, type ParseOptions, parseRules } from './rules-validate.ts';
