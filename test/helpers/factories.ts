import assert from 'node:assert/strict';
import { ApiClient } from './client.ts';

export const PASSWORD = 'correct horse battery staple';

export interface AdminSession {
  client: ApiClient;
  orgId: string;
  userId: string;
  email: string;
}

let counter = 0;
const unique = (label: string) => `${label}-${Date.now().toString(36)}-${++counter}`;

/** Runs the first-run setup: the first user, their org, signed in as its administrator. */
export async function setupAdmin(baseUrl: string, email = 'admin@example.com'): Promise<AdminSession> {
  const client = new ApiClient(baseUrl);
  const answer = await client.post('/v1/setup', {
    email,
    password: PASSWORD,
    name: 'Ada Admin',
    orgName: 'Acme',
  });
  assert.equal(answer.status, 201, JSON.stringify(answer.body));
  return { client, orgId: answer.body.orgs[0].id, userId: answer.body.user.id, email };
}

/** A new signed-in member of the org with the given role, through a real invite. */
export async function addMember(admin: AdminSession, roleId: string): Promise<AdminSession> {
  const email = `${unique('member')}@example.com`;
  const invite = await admin.client.post(`/v1/orgs/${admin.orgId}/members`, { email, roleId });
  assert.equal(invite.status, 201, JSON.stringify(invite.body));
  const inviteToken = new URL(invite.body.inviteUrl).hash.replace('#token=', '');
  const client = new ApiClient(admin.client.baseUrl);
  const accepted = await client.post('/v1/auth/accept-invite', {
    inviteToken,
    password: PASSWORD,
    name: 'Mo Member',
  });
  assert.equal(accepted.status, 200, JSON.stringify(accepted.body));
  return { client, orgId: admin.orgId, userId: accepted.body.user.id, email };
}

export async function createToken(
  session: { client: ApiClient; orgId: string },
  body: Record<string, unknown> = {},
): Promise<{ token: string; id: string; info: any }> {
  const answer = await session.client.post(`/v1/orgs/${session.orgId}/tokens`, {
    name: unique('token'),
    access: 'granular',
    permissions: ['blocks:read'],
    ...body,
  });
  assert.equal(answer.status, 201, JSON.stringify(answer.body));
  return { token: answer.body.token, id: answer.body.clientId, info: answer.body.tokenInfo };
}

export async function createResource(session: AdminSession, type = 'shard', name = unique('shard')) {
  const answer = await session.client.post(`/v1/orgs/${session.orgId}/resources`, { type, name });
  assert.equal(answer.status, 201, JSON.stringify(answer.body));
  return answer.body as { id: string; type: string; name: string };
}

export async function verify(baseUrl: string, body: Record<string, unknown>) {
  const response = await fetch(`${baseUrl}/v1/verify`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: JSON.parse(text), headers: response.headers };
}

export { unique };
