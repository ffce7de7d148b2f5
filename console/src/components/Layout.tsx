import * as DropdownMenu from '@radix-ui/react-dropdown-menu';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useEffect, useMemo, useState } from 'react';
import { useForm } from 'react-hook-form';
import { api } from '../lib/api';
import { Link, navigate, orgPath } from '../lib/router';
import { OrgContext, type OrgContextValue, sessionKey } from '../lib/session';
import type { Session, SessionOrg } from '../lib/types';
import { AccountPage } from '../pages/AccountPage';
import { AuditPage } from '../pages/AuditPage';
import { InsightsPage } from '../pages/InsightsPage';
import { MembersPage } from '../pages/MembersPage';
import { OutboxPage } from '../pages/OutboxPage';
import { ResourcesPage } from '../pages/ResourcesPage';
import { RolesPage } from '../pages/RolesPage';
import { SettingsPage } from '../pages/SettingsPage';
import { TokenPage } from '../pages/TokenPage';
import { TokensPage } from '../pages/TokensPage';
import { WebhooksPage } from '../pages/WebhooksPage';
import { Dialog, ErrorMessage } from './ui';

interface NavItem {
  page: string;
  label: string;
  permission?: string;
  section: string;
}

const NAV: NavItem[] = [
  { page: 'tokens', label: 'Tokens', section: 'Security' },
  { page: 'members', label: 'Members', permission: 'members:read', section: 'Security' },
  { page: 'roles', label: 'Roles', permission: 'roles:read', section: 'Security' },
  { page: 'resources', label: 'Resources', permission: 'resources:read', section: 'Security' },
  { page: 'audit', label: 'Audit log', permission: 'audit:read', section: 'Security' },
  { page: 'insights', label: 'Insights', section: 'Security' },
  { page: 'settings', label: 'Settings', section: 'Security' },
  { page: 'webhooks', label: 'Webhooks', permission: 'audit:read', section: 'Notifications' },
  // The server's outbox (mail it kept instead of sending, without SMTP): every signed-in person has one.
  { page: 'outbox', label: 'Outbox', section: 'Notifications' },
  { page: 'account', label: 'Account', section: 'You' },
];

const TITLES: Record<string, string> = {
  tokens: 'Tokens',
  members: 'Members',
  roles: 'Roles',
  resources: 'Resources',
  audit: 'Audit log',
  insights: 'Insights',
  settings: 'Organization settings',
  webhooks: 'Webhooks',
  outbox: 'Outbox',
  account: 'Account and security',
};

export function Layout({
  session,
  org,
  page,
  item,
}: {
  session: Session;
  org: SessionOrg;
  page: string;
  /** The second path segment: a token id on /orgs/<org>/tokens/<id>. */
  item?: string;
}) {
  const queryClient = useQueryClient();
  const value = useMemo<OrgContextValue>(
    () => ({ session, org, can: (permission: string) => org.permissions.includes(permission) }),
    [session, org],
  );
  const [newOrgOpen, setNewOrgOpen] = useState(false);

  // On narrow screens the navigation is a strip that scrolls sideways: keep the current page in view.
  useEffect(() => {
    if (page)
      document
        .querySelector('.sidenav .nav-link.active')
        ?.scrollIntoView({ block: 'nearest', inline: 'nearest' });
  }, [page]);

  useEffect(() => {
    document.title = `${TITLES[page] ?? 'Not found'} · ${org.name} · Latchkey`;
  }, [page, org.name]);

  const logout = useMutation({
    mutationFn: api.logout,
    onSettled: () => {
      queryClient.removeQueries({ predicate: (q) => q.queryKey[0] !== 'session' });
      queryClient.setQueryData(sessionKey, null);
      navigate('/login', { replace: true });
    },
  });

  const items = NAV.filter((item) => !item.permission || value.can(item.permission));

  return (
    <OrgContext.Provider value={value}>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <div className="shell">
        <header className="topbar">
          <div className="topbar-left">
            <Link href={orgPath(org.id, 'tokens')} className="brand" aria-label="Latchkey home">
              <span className="brand-mark" aria-hidden="true">
                L
              </span>
              <span className="brand-name">Latchkey</span>
            </Link>
            <DropdownMenu.Root>
              <DropdownMenu.Trigger
                className="switcher"
                aria-label={`Organization: ${org.name}. Switch organization`}
              >
                <span className="switcher-name">{org.name}</span>
                <span aria-hidden="true">▾</span>
              </DropdownMenu.Trigger>
              <DropdownMenu.Portal>
                <DropdownMenu.Content className="menu" align="start" sideOffset={6}>
                  <DropdownMenu.Label className="menu-label">Organizations</DropdownMenu.Label>
                  <DropdownMenu.RadioGroup
                    value={org.id}
                    onValueChange={(id) => navigate(orgPath(id, page in TITLES ? page : 'tokens'))}
                  >
                    {session.orgs.map((o) => (
                      <DropdownMenu.RadioItem key={o.id} value={o.id} className="menu-item">
                        <DropdownMenu.ItemIndicator className="menu-indicator">✓</DropdownMenu.ItemIndicator>
                        {o.name}
                      </DropdownMenu.RadioItem>
                    ))}
                  </DropdownMenu.RadioGroup>
                  <DropdownMenu.Separator className="menu-separator" />
                  <DropdownMenu.Item className="menu-item" onSelect={() => setNewOrgOpen(true)}>
                    New organization…
                  </DropdownMenu.Item>
                </DropdownMenu.Content>
              </DropdownMenu.Portal>
            </DropdownMenu.Root>
          </div>
          <DropdownMenu.Root>
            <DropdownMenu.Trigger className="user-button" aria-label={`Account: ${session.user.name}`}>
              <span className="avatar" aria-hidden="true">
                {(session.user.name || session.user.email).slice(0, 1).toUpperCase()}
              </span>
              <span className="user-name">{session.user.name}</span>
            </DropdownMenu.Trigger>
            <DropdownMenu.Portal>
              <DropdownMenu.Content className="menu" align="end" sideOffset={6}>
                <DropdownMenu.Label className="menu-label">
                  {session.user.name}
                  <br />
                  <span className="muted">{session.user.email}</span>
                </DropdownMenu.Label>
                <DropdownMenu.Separator className="menu-separator" />
                <DropdownMenu.Item
                  className="menu-item"
                  onSelect={() => navigate(orgPath(org.id, 'account'))}
                >
                  Account and security
                </DropdownMenu.Item>
                <DropdownMenu.Item className="menu-item" onSelect={() => logout.mutate()}>
                  Sign out
                </DropdownMenu.Item>
              </DropdownMenu.Content>
            </DropdownMenu.Portal>
          </DropdownMenu.Root>
        </header>
        <nav className="sidenav" aria-label="Main">
          <ul>
            {items.map((item, index) => (
              <li key={item.page}>
                {item.section !== items[index - 1]?.section && (
                  <p
                    className={index === 0 ? 'nav-section' : 'nav-section nav-section-next'}
                    aria-hidden="true"
                  >
                    {item.section}
                  </p>
                )}
                <Link
                  href={orgPath(org.id, item.page)}
                  className={item.page === page ? 'nav-link active' : 'nav-link'}
                  aria-current={item.page === page ? 'page' : undefined}
                >
                  {item.label}
                </Link>
              </li>
            ))}
          </ul>
        </nav>
        <main id="main" className="main" tabIndex={-1}>
          {needsSecondFactor(session, org) && page !== 'account' ? (
            <div className="card">
              <h1>{org.name} requires two-factor authentication</h1>
              <p>Set it up on your account page; the organization opens as soon as it is on.</p>
              <Link className="button button-primary" href={orgPath(org.id, 'account')}>
                Set up two-factor authentication
              </Link>
            </div>
          ) : (
            <PageFor page={page} item={item} />
          )}
        </main>
      </div>
      <NewOrgDialog open={newOrgOpen} onOpenChange={setNewOrgOpen} />
    </OrgContext.Provider>
  );
}

/** The org's policy requires a second factor the signed-in person does not have yet: they may only enrol. */
function needsSecondFactor(session: Session, org: SessionOrg): boolean {
  // The session's orgs carry their policy (server/orgs/orgs.service.ts orgView); the SDK type leaves it out.
  const { policy } = org as SessionOrg & { policy?: { requireTwoFactor?: boolean } };
  return policy?.requireTwoFactor === true && session.user.twoFactorEnabled !== true;
}

function PageFor({ page, item }: { page: string; item: string | undefined }) {
  // Only tokens have pages of their own.
  if (item !== undefined && page === 'tokens') return <TokenPage key={item} tokenId={item} />;
  switch (item === undefined ? page : 'not-found') {
    case 'tokens':
      return <TokensPage />;
    case 'members':
      return <MembersPage />;
    case 'roles':
      return <RolesPage />;
    case 'resources':
      return <ResourcesPage />;
    case 'audit':
      return <AuditPage />;
    case 'insights':
      return <InsightsPage />;
    case 'settings':
      return <SettingsPage />;
    case 'webhooks':
      return <WebhooksPage />;
    case 'outbox':
      return <OutboxPage />;
    case 'account':
      return <AccountPage />;
    default:
      return (
        <div className="card">
          <h1>Page not found</h1>
          <p>There is no page here.</p>
        </div>
      );
  }
}

function NewOrgDialog({ open, onOpenChange }: { open: boolean; onOpenChange: (open: boolean) => void }) {
  const queryClient = useQueryClient();
  const { register, handleSubmit, formState, reset } = useForm<{ name: string }>({
    defaultValues: { name: '' },
  });
  const create = useMutation({
    mutationFn: api.createOrg,
    onSuccess: async (created) => {
      await queryClient.invalidateQueries({ queryKey: sessionKey });
      onOpenChange(false);
      reset();
      if (created?.id) navigate(orgPath(created.id, 'tokens'));
    },
  });
  return (
    <Dialog
      open={open}
      onOpenChange={(next) => {
        if (!next) create.reset();
        onOpenChange(next);
      }}
      title="New organization"
      description="You will be its administrator."
    >
      <form onSubmit={handleSubmit((values) => create.mutate(values))} noValidate>
        <div className="field">
          <label htmlFor="new-org-name">Name</label>
          <input
            id="new-org-name"
            aria-invalid={formState.errors.name ? true : undefined}
            {...register('name', {
              required: 'Name the organization.',
              maxLength: { value: 100, message: 'At most 100 characters.' },
            })}
          />
          {formState.errors.name && <p className="field-error">{formState.errors.name.message}</p>}
        </div>
        <ErrorMessage error={create.error} />
        <div className="dialog-actions">
          <button type="button" className="button" onClick={() => onOpenChange(false)}>
            Cancel
          </button>
          <button type="submit" className="button button-primary" disabled={create.isPending}>
            Create
          </button>
        </div>
      </form>
    </Dialog>
  );
}
