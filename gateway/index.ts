// The Latchkey gateway: a reverse proxy in front of an API that cannot call the SDK, letting through only
// what each request's bearer token may do (docs/gateway.md). Its own part: it uses the SDK by its package
// name and nothing of the server. This is its one entry, bundled into dist/gateway/gateway.mjs
// (scripts/build-gateway.mjs) and loaded by `latchkey gateway` (cli/commands/gateway.ts).

export { presetNames } from './presets/index.ts';
export { createGateway, type Gateway, type GatewayLogger, type GatewayOptions } from './proxy.ts';
export { type GatewayRules, RulesError } from './rules/index.ts';
export {
  GatewayStartError,
  type InjectedVerifier,
  loadRules,
  type RunningGateway,
  type StartGatewayOptions,
  startGateway,
} from './start.ts';
export type { GatewayVerdict, GatewayVerifier, VerifyQuestion } from './verifiers.ts';
