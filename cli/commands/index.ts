import type { Command } from 'commander';
import { registerAuthCommands } from './auth.ts';
import { registerCatalogCommands } from './catalog.ts';
import { registerGatewayCommand } from './gateway.ts';
import { registerMemberCommands } from './members.ts';
import { registerOrgCommands } from './orgs.ts';
import { registerResourceCommands } from './resources.ts';
import { registerRoleCommands } from './roles.ts';
import { registerTokenCommands } from './tokens.ts';
import { registerVerifyCommand } from './verify.ts';

/**
 * Adds the client commands to the `latchkey` program built by cli/main.ts (which owns `serve` and
 * `migrate`): login, logout, whoami, tokens, verify, orgs, members, roles, resources, permissions, audit.
 */
export function registerCommands(program: Command): void {
  registerAuthCommands(program);
  registerTokenCommands(program);
  registerVerifyCommand(program);
  registerOrgCommands(program);
  registerMemberCommands(program);
  registerRoleCommands(program);
  registerResourceCommands(program);
  registerCatalogCommands(program);
  registerGatewayCommand(program);
}
