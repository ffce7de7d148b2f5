import * as DropdownMenu from '@radix-ui/react-dropdown-menu';
import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type ReactNode, useEffect, useState } from 'react';
import { useForm } from 'react-hook-form';
import {
  ConfirmDialog,
  Dialog,
  EmptyState,
  ErrorMessage,
  Loading,
  LoadMore,
  PageHeader,
  RowMenu,
  Time,
} from '../components/ui';
import { api } from '../lib/api';
import { absoluteTime } from '../lib/format';
import { Link, navigate, orgPath, setSearch, useLocation } from '../lib/router';
import { BUILT_IN_ROLE_NAMES, useCatalog, useMembers, useOrg, useResources, useRoles } from '../lib/session';
import type { IssuedToken, TokenInfo } from '../lib/types';
import { checkName } from '../lib/validation';
import { CreateTokenDialog } from './CreateTokenDialog';
import { RevealDialog } from './RevealDialog';

export function TokensPage() {
  const { org, session, can } = useOrg();
  const { search } = useLocation();
  const queryClient = useQueryClient();
  const status = search.get('status') ?? 'active';
  const owner = can('tokens:read') ? (search.get('owner') ?? 'me') : 'me';
  const kind = search.get('kind') ?? '';
  const resourceFilter = search.get('resource') ?? '';

  const catalog = useCatalog();
  const roles = useRoles(org.id, can('roles:read'));
  const resources = useResources(org.id, can('resources:read'));
  const members = useMembers(org.id, can('members:read') && can('tokens:read'));

  const tokens = useInfiniteQuery({
    queryKey: ['tokens', org.id, { status, owner, kind, resourceFilter }],
    queryFn: ({ pageParam }) =>
      api.tokens(org.id, {
        status: status === 'all' ? undefined : status,
        owner: owner === 'all' ? undefined : owner,
        resource: resourceFilter || undefined,
        kind: kind || undefined,
        cursor: pageParam,
      }),
    initialPageParam: null as string | null,
    getNextPageParam: (last) => last.nextCursor,
  });

  const [createOpen, setCreateOpen] = useState(false);
  // `?create=<token id>` (the expiry mail's link) opens the create dialog pre-filled with that token's settings.
  const createFrom = search.get('create');
  const [renewId, setRenewId] = useState<string | null>(null);
  useEffect(() => {
    if (!createFrom) return;
    setRenewId(createFrom);
    setSearch({ create: undefined });
  }, [createFrom]);
  const renewSource = useQuery({
    queryKey: ['token', org.id, renewId],
    queryFn: () => api.token(org.id, renewId ?? ''),
    enabled: renewId !== null,
    retry: false,
    staleTime: Number.POSITIVE_INFINITY,
  });
  useEffect(() => {
    if (renewId !== null && renewSource.isSuccess) setCreateOpen(true);
  }, [renewId, renewSource.isSuccess]);
  const template = renewId !== null ? renewSource.data : undefined;
  const openCreate = (open: boolean) => {
    setCreateOpen(open);
    if (!open) setRenewId(null);
  };
  const [revealed, setRevealed] = useState<{ issued: IssuedToken; rotated: boolean } | null>(null);
  const [revoking, setRevoking] = useState<TokenInfo | null>(null);
  const [rotating, setRotating] = useState<TokenInfo | null>(null);
  const [editing, setEditing] = useState<TokenInfo | null>(null);
  const [showing, setShowing] = useState<TokenInfo | null>(null);

  const refresh = () => {
    void queryClient.invalidateQueries({ queryKey: ['tokens', org.id] });
    void queryClient.invalidateQueries({ queryKey: ['audit', org.id] });
  };

  const revoke = useMutation({
    mutationFn: (token: TokenInfo) => api.revokeToken(org.id, token.id),
    onSuccess: () => {
      setRevoking(null);
      refresh();
    },
  });

  const all = tokens.data?.pages.flatMap((p) => p.items) ?? [];
  const rows = all;
  const labelOf = (key: string) => catalog.data?.find((p) => p.key === key)?.label ?? key;
  const roleName = (id: string) =>
    roles.data?.find((r) => r.id === id)?.name ?? BUILT_IN_ROLE_NAMES[id] ?? id;
  const resourceName = (id: string) => resources.data?.find((r) => r.id === id)?.name ?? id;
  const ownerName = (t: TokenInfo) => {
    if (t.kind === 'application') return 'Organization';
    if (t.ownerId === session.user.id) return 'You';
    const m = members.data?.find((x) => x.userId === t.ownerId);
    return m ? m.name || m.email : (t.ownerId ?? '—');
  };

  return (
    <>
      <nav className="breadcrumb" aria-label="Breadcrumb">
        <span>Security</span> <span aria-hidden="true">›</span> <span aria-current="page">Tokens</span>
      </nav>
      <PageHeader
        title="Tokens"
        actions={
          <button
            type="button"
            className="button button-primary"
            onClick={() => {
              setRenewId(null);
              setCreateOpen(true);
            }}
          >
            Create token
          </button>
        }
      >
        <p className="muted">
          Applications present these tokens to APIs, which ask Latchkey whether they are valid.
        </p>
      </PageHeader>

      {renewId !== null && renewSource.isPending && <Loading label="Opening the token to renew…" />}
      {renewId !== null && renewSource.isError && (
        <div className="section">
          <p className="muted">The link asked to create a token like {renewId}, but it could not be read:</p>
          <ErrorMessage error={renewSource.error} />
          <button type="button" className="button button-small" onClick={() => setRenewId(null)}>
            Dismiss
          </button>
        </div>
      )}

      <fieldset className="filters">
        <legend className="sr-only">Filter tokens</legend>
        <div className="field inline-field">
          <label htmlFor="filter-status">Status</label>
          <select
            id="filter-status"
            value={status}
            onChange={(e) => setSearch({ status: e.target.value === 'active' ? undefined : e.target.value })}
          >
            <option value="active">Active</option>
            <option value="expired">Expired</option>
            <option value="revoked">Revoked</option>
            <option value="all">All</option>
          </select>
        </div>
        {can('tokens:read') && (
          <div className="field inline-field">
            <label htmlFor="filter-owner">Owner</label>
            <select
              id="filter-owner"
              value={owner}
              onChange={(e) => setSearch({ owner: e.target.value === 'me' ? undefined : e.target.value })}
            >
              <option value="me">My tokens</option>
              <option value="all">Everyone's</option>
              {(members.data ?? [])
                .filter((m) => m.userId !== session.user.id)
                .map((m) => (
                  <option key={m.userId} value={m.userId}>
                    {m.name || m.email}
                  </option>
                ))}
            </select>
          </div>
        )}
        <div className="field inline-field">
          <label htmlFor="filter-kind">Kind</label>
          <select
            id="filter-kind"
            value={kind}
            onChange={(e) => setSearch({ kind: e.target.value || undefined })}
          >
            <option value="">Any</option>
            <option value="personal">Personal</option>
            <option value="application">Application</option>
          </select>
        </div>
        {resourceFilter && (
          <p className="chip">
            Resource: {resourceName(resourceFilter)}
            <button
              type="button"
              className="chip-clear"
              aria-label="Clear the resource filter"
              onClick={() => setSearch({ resource: undefined })}
            >
              ×
            </button>
          </p>
        )}
      </fieldset>

      {tokens.isPending ? (
        <Loading label="Loading tokens…" />
      ) : tokens.isError ? (
        <ErrorMessage error={tokens.error} />
      ) : rows.length === 0 ? (
        <EmptyState title={status === 'active' ? 'No active tokens' : 'No tokens match these filters'}>
          <p className="muted">Create a token to let an application call a protected API.</p>
        </EmptyState>
      ) : (
        <div className="table-wrap">
          <table className="table responsive" aria-label="Tokens">
            <thead>
              <tr>
                <th scope="col">Name</th>
                {owner === 'all' && <th scope="col">Owner</th>}
                <th scope="col">Access</th>
                <th scope="col">Resources</th>
                <th scope="col">Created</th>
                <th scope="col">Expires</th>
                <th scope="col">Last used</th>
                <th scope="col">Status</th>
                <th scope="col">
                  <span className="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {rows.map((t) => (
                <tr key={t.id} data-token-id={t.id}>
                  <td data-label="Name">
                    <div className="cell-title">{t.name}</div>
                    <div className="cell-sub">
                      <code className="hint-code">{t.hint}</code> <span className="badge">{t.kind}</span>
                    </div>
                    {t.description && <div className="cell-sub muted">{t.description}</div>}
                  </td>
                  {owner === 'all' && <td data-label="Owner">{ownerName(t)}</td>}
                  <td data-label="Access">
                    <AccessSummary token={t} labelOf={labelOf} roleName={roleName} />
                  </td>
                  <td data-label="Resources">
                    {t.resourceIds === null ? (
                      <span className="muted">All</span>
                    ) : (
                      <span title={t.resourceIds.map(resourceName).join(', ')}>
                        {t.resourceIds.length <= 2
                          ? t.resourceIds.map(resourceName).join(', ')
                          : `${t.resourceIds.length} resources`}
                      </span>
                    )}
                  </td>
                  <td data-label="Created">
                    <Time iso={t.createdAt} />
                  </td>
                  <td data-label="Expires">
                    {t.expiresAt ? (
                      <span className="two-line">
                        <Time iso={t.expiresAt} />
                        <span className="cell-sub muted">{absoluteTime(t.expiresAt)}</span>
                      </span>
                    ) : (
                      <span className="muted">Never</span>
                    )}
                  </td>
                  <td data-label="Last used">
                    <span className="two-line">
                      <Time iso={t.lastUsedAt} empty="Never used" />
                      {t.lastUsedIp && <span className="cell-sub muted mono">{t.lastUsedIp}</span>}
                    </span>
                  </td>
                  <td data-label="Status">
                    <span
                      className={`status status-${t.status}`}
                      title={
                        t.status === 'revoked' && t.revokedReason ? `Reason: ${t.revokedReason}` : undefined
                      }
                    >
                      {t.status}
                    </span>
                  </td>
                  <td className="cell-actions">
                    <RowMenu label={`Actions for ${t.name}`}>
                      <DropdownMenu.Item className="menu-item" onSelect={() => setShowing(t)}>
                        Details…
                      </DropdownMenu.Item>
                      <DropdownMenu.Item className="menu-item" onSelect={() => setEditing(t)}>
                        Rename…
                      </DropdownMenu.Item>
                      <DropdownMenu.Item
                        className="menu-item"
                        disabled={t.status !== 'active'}
                        onSelect={() => setRotating(t)}
                      >
                        Rotate…
                      </DropdownMenu.Item>
                      {can('audit:read') && (
                        <DropdownMenu.Item
                          className="menu-item"
                          onSelect={() =>
                            navigate(`${orgPath(org.id, 'audit')}?tokenId=${encodeURIComponent(t.id)}`)
                          }
                        >
                          View audit log
                        </DropdownMenu.Item>
                      )}
                      <DropdownMenu.Separator className="menu-separator" />
                      <DropdownMenu.Item
                        className="menu-item menu-danger"
                        disabled={t.status === 'revoked'}
                        onSelect={() => {
                          revoke.reset();
                          setRevoking(t);
                        }}
                      >
                        Revoke…
                      </DropdownMenu.Item>
                    </RowMenu>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          <LoadMore query={tokens} />
        </div>
      )}

      <CreateTokenDialog
        open={createOpen}
        onOpenChange={openCreate}
        presetResourceId={template ? undefined : resourceFilter || undefined}
        template={template}
        onCreated={(issued) => {
          openCreate(false);
          setRevealed({ issued, rotated: false });
        }}
      />
      {revealed && (
        <RevealDialog
          issued={revealed.issued}
          orgId={org.id}
          rotated={revealed.rotated}
          email={session.user.email}
          onClose={() => setRevealed(null)}
        />
      )}
      <ConfirmDialog
        open={revoking !== null}
        onOpenChange={(open) => !open && setRevoking(null)}
        title={revoking ? `Revoke “${revoking.name}”?` : 'Revoke token'}
        body={
          <>
            Applications using <strong>{revoking?.name}</strong> (<code>{revoking?.hint}</code>) stop working
            on their very next request. This cannot be undone.
          </>
        }
        confirmLabel="Revoke token"
        pending={revoke.isPending}
        error={revoke.error}
        onConfirm={() => revoking && revoke.mutate(revoking)}
      />
      {rotating && (
        <RotateDialog
          token={rotating}
          onClose={() => setRotating(null)}
          onRotated={(issued) => {
            setRotating(null);
            refresh();
            setRevealed({ issued, rotated: true });
          }}
        />
      )}
      {editing && <EditTokenDialog token={editing} onClose={() => setEditing(null)} onSaved={refresh} />}
      {showing && (
        <TokenDetailsDialog
          token={showing}
          onClose={() => setShowing(null)}
          labelOf={labelOf}
          roleName={roleName}
          resourceName={resourceName}
          ownerName={ownerName}
        />
      )}
      <p className="footnote muted">
        Tokens limited to a resource can also be listed from the{' '}
        {can('resources:read') ? <Link href={orgPath(org.id, 'resources')}>Resources</Link> : 'Resources'}{' '}
        page.
      </p>
    </>
  );
}

function AccessSummary({
  token,
  labelOf,
  roleName,
}: {
  token: TokenInfo;
  labelOf: (key: string) => string;
  roleName: (id: string) => string;
}) {
  if (token.access === 'full') return <span className="badge badge-strong">Full access</span>;
  if (token.roleId) return <span>Role: {roleName(token.roleId)}</span>;
  const perms = token.permissions ?? [];
  if (perms.length === 0) return <span className="muted">No permissions</span>;
  const shown = perms.slice(0, 2);
  return (
    <span title={perms.map(labelOf).join('\n')}>
      {shown.map((p) => (
        <code key={p} className="perm-chip">
          {p}
        </code>
      ))}
      {perms.length > shown.length && <span className="muted"> +{perms.length - shown.length} more</span>}
    </span>
  );
}

const GRACE = [
  { value: '', label: 'None: the old value stops at once' },
  { value: '1h', label: '1 hour' },
  { value: '24h', label: '24 hours' },
  { value: '7d', label: '7 days' },
];

function RotateDialog({
  token,
  onClose,
  onRotated,
}: {
  token: TokenInfo;
  onClose: () => void;
  onRotated: (issued: IssuedToken) => void;
}) {
  const { org } = useOrg();
  const [grace, setGrace] = useState('');
  const rotate = useMutation({
    mutationFn: () => api.rotateToken(org.id, token.id, grace || undefined),
    onSuccess: onRotated,
  });
  return (
    <Dialog
      open
      onOpenChange={(open) => !open && onClose()}
      title={`Rotate “${token.name}”?`}
      description="Issues a new value for the same token id, permissions and expiry."
    >
      <div className="field">
        <label htmlFor="rotate-grace">Keep the old value working for</label>
        <select id="rotate-grace" value={grace} onChange={(e) => setGrace(e.target.value)}>
          {GRACE.map((g) => (
            <option key={g.value} value={g.value}>
              {g.label}
            </option>
          ))}
        </select>
        <p className="hint">A grace period lets you roll the new value out before the old one stops.</p>
      </div>
      <ErrorMessage error={rotate.error} />
      <div className="dialog-actions">
        <button type="button" className="button" onClick={onClose}>
          Cancel
        </button>
        <button
          type="button"
          className="button button-primary"
          onClick={() => rotate.mutate()}
          disabled={rotate.isPending}
        >
          {rotate.isPending ? 'Rotating…' : 'Rotate token'}
        </button>
      </div>
    </Dialog>
  );
}

function EditTokenDialog({
  token,
  onClose,
  onSaved,
}: {
  token: TokenInfo;
  onClose: () => void;
  onSaved: () => void;
}) {
  const { org } = useOrg();
  const { register, handleSubmit, formState } = useForm<{ name: string; description: string }>({
    defaultValues: { name: token.name, description: token.description ?? '' },
  });
  const save = useMutation({
    mutationFn: (values: { name: string; description: string }) =>
      api.updateToken(org.id, token.id, { name: values.name.trim(), description: values.description.trim() }),
    onSuccess: () => {
      onSaved();
      onClose();
    },
  });
  return (
    <Dialog open onOpenChange={(open) => !open && onClose()} title={`Rename “${token.name}”`}>
      <form onSubmit={handleSubmit((values) => save.mutate(values))} noValidate>
        <div className="field">
          <label htmlFor="edit-token-name">Name</label>
          <input
            id="edit-token-name"
            aria-invalid={formState.errors.name ? true : undefined}
            {...register('name', { validate: checkName })}
          />
          {formState.errors.name && <p className="field-error">{formState.errors.name.message}</p>}
        </div>
        <div className="field">
          <label htmlFor="edit-token-description">Description</label>
          <input id="edit-token-description" {...register('description')} />
        </div>
        <ErrorMessage error={save.error} />
        <div className="dialog-actions">
          <button type="button" className="button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="button button-primary" disabled={save.isPending}>
            Save
          </button>
        </div>
      </form>
    </Dialog>
  );
}

function TokenDetailsDialog({
  token,
  onClose,
  labelOf,
  roleName,
  resourceName,
  ownerName,
}: {
  token: TokenInfo;
  onClose: () => void;
  labelOf: (key: string) => string;
  roleName: (id: string) => string;
  resourceName: (id: string) => string;
  ownerName: (t: TokenInfo) => string;
}) {
  const { org } = useOrg();
  // Fetch the one token so the dialog shows current usage, not the list's snapshot.
  const fresh = useQuery({
    queryKey: ['token', org.id, token.id],
    queryFn: () => api.token(org.id, token.id),
  });
  const t = fresh.data ?? token;
  const when = (iso: string | null, empty = '—') => (iso ? absoluteTime(iso) : empty);
  const rows: [string, ReactNode][] = [
    ['Client id', <code key="id">{t.id}</code>],
    ['Hint', <code key="hint">{t.hint}</code>],
    ['Kind', t.kind],
    ['Owner', ownerName(t)],
    ['Status', t.status + (t.revokedReason ? ` (${t.revokedReason})` : '')],
    [
      'Access',
      t.access === 'full'
        ? 'Full access'
        : t.roleId
          ? `Role: ${roleName(t.roleId)}`
          : (t.permissions ?? []).map((p) => `${p} (${labelOf(p)})`).join(', ') || 'None',
    ],
    [
      'Resources',
      t.resourceIds === null ? 'All resources' : t.resourceIds.map(resourceName).join(', ') || 'None',
    ],
    ['Allowed IPs', t.allowedIps?.length ? t.allowedIps.join(', ') : 'Any address'],
    ['Rate limit', t.rateLimit ? `${t.rateLimit.limit} per ${t.rateLimit.windowSeconds} s` : 'None'],
    ['Created', when(t.createdAt)],
    ['Expires', when(t.expiresAt, 'Never')],
    ['Last used', t.lastUsedAt ? `${absoluteTime(t.lastUsedAt)} from ${t.lastUsedIp ?? 'unknown'}` : 'Never'],
    ['Uses', String(t.useCount)],
  ];
  if (t.revokedAt) rows.push(['Revoked', when(t.revokedAt)]);
  return (
    <Dialog
      open
      onOpenChange={(open) => !open && onClose()}
      title={t.name}
      description={t.description || undefined}
    >
      <ErrorMessage error={fresh.error} />
      <dl className="details-list">
        {rows.map(([label, value]) => (
          <div key={label}>
            <dt>{label}</dt>
            <dd>{value}</dd>
          </div>
        ))}
      </dl>
      <div className="dialog-actions">
        <button type="button" className="button" onClick={onClose}>
          Close
        </button>
      </div>
    </Dialog>
  );
}
