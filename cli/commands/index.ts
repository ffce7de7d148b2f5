import type { Command } from 'commander';
import { registerAuthCommands } from './auth.ts';
import { registerCatalogCommands } from './catalog.ts';
import { registerGatewayCommand } from './gateway.ts';
import { registerInviteCommands } from './invites.ts';
import { registerMemberCommands } from './members.ts';
import { registerOrgCommands } from './orgs.ts';
import { registerOutboxCommands } from './outbox.ts';
import { registerResourceCommands } from './resources.ts';
import { registerRoleCommands } from './roles.ts';
import { registerTokenCommands } from './tokens.ts';
import { registerUserCommands } from './users.ts';
import { registerVerifyCommand } from './verify.ts';
import { registerWebhookCommands } from './webhooks.ts';

/**
 * Adds the client commands to the `latchkey` program built by cli/main.ts (which owns `serve` and
 * `migrate`): login, logout, whoami, tokens, verify, orgs, members, invites, roles, resources, webhooks,
 * outbox, permissions, audit, users (operator commands on the server host).
 */
export function registerCommands(program: Command): void {
  registerAuthCommands(program);
  registerTokenCommands(program);
  registerVerifyCommand(program);
  registerOrgCommands(program);
  registerMemberCommands(program);
  registerInviteCommands(program);
  registerRoleCommands(program);
  registerResourceCommands(program);
  registerWebhookCommands(program);
  registerOutboxCommands(program);
  registerCatalogCommands(program);
  registerGatewayCommand(program);
  registerUserCommands(program);
}
