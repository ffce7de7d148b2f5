import { useQuery } from '@tanstack/react-query';
import { createContext, useContext } from 'react';
import { api } from './api';
import type { Session, SessionOrg } from './types';

export const sessionKey = ['session'] as const;

export function useSessionQuery() {
  return useQuery({
    queryKey: sessionKey,
    // The SDK's client keeps the session's CSRF token for the unsafe calls that follow.
    queryFn: api.session,
    staleTime: 30_000,
  });
}

export interface OrgContextValue {
  session: Session;
  org: SessionOrg;
  /** Whether the signed-in member holds a permission in this org. */
  can: (permission: string) => boolean;
}

export const OrgContext = createContext<OrgContextValue | null>(null);

export function useOrg(): OrgContextValue {
  const value = useContext(OrgContext);
  if (!value) throw new Error('useOrg outside an org page');
  return value;
}

export function useCatalog() {
  return useQuery({ queryKey: ['catalog'], queryFn: api.catalog, staleTime: 5 * 60_000 });
}

export function useRoles(orgId: string, enabled = true) {
  return useQuery({ queryKey: ['roles', orgId], queryFn: () => api.roles(orgId), enabled });
}

export function useResources(orgId: string, enabled = true) {
  return useQuery({ queryKey: ['resources', orgId], queryFn: () => api.resources(orgId), enabled });
}

export function useMembers(orgId: string, enabled = true) {
  return useQuery({ queryKey: ['members', orgId], queryFn: () => api.members(orgId), enabled });
}

export function useOrgDetails(orgId: string) {
  return useQuery({ queryKey: ['org', orgId], queryFn: () => api.org(orgId) });
}

export const BUILT_IN_ROLE_NAMES: Record<string, string> = {
  rol_admin: 'Organization Administrator',
  rol_readwrite: 'Read/Write User',
  rol_readonly: 'Read Only User',
};
