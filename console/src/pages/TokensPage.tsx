import * as DropdownMenu from '@radix-ui/react-dropdown-menu';
import { useInfiniteQuery, useMutation } from '@tanstack/react-query';
import { type FormEvent, useEffect, useState } from 'react';
import {
  Dialog,
  EmptyState,
  ErrorMessage,
  Loading,
  LoadMore,
  PageHeader,
  RowMenu,
  Time,
} from '../components/ui';
import { api, LatchkeyError } from '../lib/api';
import { absoluteTime } from '../lib/format';
import { lifeLine, type NameOf } from '../lib/lifecycle';
import { Link, navigate, orgPath, setSearch, useLocation } from '../lib/router';
import { BUILT_IN_ROLE_NAMES, useCatalog, useMembers, useOrg, useResources, useRoles } from '../lib/session';
import type { TokenInfo } from '../lib/types';
import { CreateTokenDialog } from './CreateTokenDialog';
import { useCreateDialog, useTokenDialogs } from './TokenDialogs';

export const tokenPath = (orgId: string, tokenId: string) =>
  orgPath(orgId, `tokens/${encodeURIComponent(tokenId)}`);

export function TokensPage() {
  const { org, session, can } = useOrg();
  const { search } = useLocation();
  const status = search.get('status') ?? 'active';
  const owner = can('tokens:read') ? (search.get('owner') ?? 'me') : 'me';
  const kind = search.get('kind') ?? '';
  const resourceFilter = search.get('resource') ?? '';
  const q = search.get('q') ?? '';

  const catalog = useCatalog();
  const roles = useRoles(org.id, can('roles:read'));
  const resources = useResources(org.id, can('resources:read'));
  const members = useMembers(org.id, can('members:read') && can('tokens:read'));

  const tokens = useInfiniteQuery({
    queryKey: ['tokens', org.id, { status, owner, kind, resourceFilter, q }],
    queryFn: ({ pageParam }) =>
      api.tokens(org.id, {
        status: status === 'all' ? undefined : status,
        owner: owner === 'all' ? undefined : owner,
        resource: resourceFilter || undefined,
        kind: kind || undefined,
        q: q || undefined,
        cursor: pageParam,
      }),
    initialPageParam: null as string | null,
    getNextPageParam: (last) => last.nextCursor,
  });

  const create = useCreateDialog();
  const dialogs = useTokenDialogs();
  const [finding, setFinding] = useState(false);

  const rows = tokens.data?.pages.flatMap((p) => p.items) ?? [];
  const labelOf = (key: string) => catalog.data?.find((p) => p.key === key)?.label ?? key;
  const roleName = (id: string) =>
    roles.data?.find((r) => r.id === id)?.name ?? BUILT_IN_ROLE_NAMES[id] ?? id;
  const resourceName = (id: string) => resources.data?.find((r) => r.id === id)?.name ?? id;
  const nameOf: NameOf = ({ type, id }) => {
    if (!id) return type;
    if (id === session.user.id) return 'you';
    const m = type === 'user' ? members.data?.find((x) => x.userId === id) : undefined;
    return m ? m.name || m.email : id;
  };
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
          <>
            <button type="button" className="button" onClick={() => setFinding(true)}>
              Paste a value…
            </button>
            <button type="button" className="button button-primary" onClick={create.openNew}>
              Create token
            </button>
          </>
        }
      >
        <p className="muted">
          Applications present these tokens to APIs, which ask Latchkey whether they are valid.
        </p>
      </PageHeader>

      {create.renewId !== null && create.renewSource.isPending && (
        <Loading label="Opening the token to renew…" />
      )}
      {create.renewId !== null && create.renewSource.isError && (
        <div className="section">
          <p className="muted">
            The link asked to create a token like {create.renewId}, but it could not be read:
          </p>
          <ErrorMessage error={create.renewSource.error} />
          <button type="button" className="button button-small" onClick={create.dismissRenew}>
            Dismiss
          </button>
        </div>
      )}

      <fieldset className="filters">
        <legend className="sr-only">Filter tokens</legend>
        <SearchField value={q} />
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
        <EmptyState
          title={
            q
              ? `No tokens match “${q}”`
              : status === 'active'
                ? 'No active tokens'
                : 'No tokens match these filters'
          }
        >
          <p className="muted">
            {q
              ? 'Search looks at names, hints (the last four characters) and ids, within the filters above.'
              : 'Create a token to let an application call a protected API.'}
          </p>
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
              {rows.map((t) => {
                const life = lifeLine(t, nameOf);
                return (
                  <tr key={t.id} data-token-id={t.id}>
                    <td data-label="Name">
                      <div className="cell-title">
                        <Link href={tokenPath(org.id, t.id)}>{t.name}</Link>
                      </div>
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
                    <td data-label={t.status === 'revoked' ? 'Revoked' : 'Expires'}>
                      <span className="two-line">
                        <span title={life.title}>{life.main}</span>
                        {life.sub && <span className="cell-sub muted">{life.sub}</span>}
                      </span>
                    </td>
                    <td data-label="Last used">
                      <span className="two-line">
                        <Time iso={t.lastUsedAt} empty="Never used" />
                        {t.lastUsedIp && <span className="cell-sub muted mono">{t.lastUsedIp}</span>}
                      </span>
                    </td>
                    <td data-label="Status">
                      <span className="two-line">
                        <span className={`status status-${t.status}`}>{t.status}</span>
                        {t.status === 'active' && t.previousValueExpiresAt && (
                          <span className="cell-sub muted" title={absoluteTime(t.previousValueExpiresAt)}>
                            Old value works until {absoluteTime(t.previousValueExpiresAt)}
                          </span>
                        )}
                      </span>
                    </td>
                    <td className="cell-actions">
                      <RowMenu label={`Actions for ${t.name}`}>
                        <DropdownMenu.Item
                          className="menu-item"
                          onSelect={() => navigate(tokenPath(org.id, t.id))}
                        >
                          Details…
                        </DropdownMenu.Item>
                        <DropdownMenu.Item
                          className="menu-item"
                          disabled={t.status !== 'active'}
                          onSelect={() => dialogs.open('edit', t)}
                        >
                          Edit…
                        </DropdownMenu.Item>
                        <DropdownMenu.Item
                          className="menu-item"
                          disabled={t.status !== 'active'}
                          onSelect={() => dialogs.open('rotate', t)}
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
                          onSelect={() => dialogs.open('revoke', t)}
                        >
                          Revoke…
                        </DropdownMenu.Item>
                      </RowMenu>
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
          <LoadMore query={tokens} />
        </div>
      )}

      <CreateTokenDialog
        open={create.open}
        onOpenChange={create.setOpen}
        presetResourceId={create.template ? undefined : resourceFilter || undefined}
        template={create.template}
        onCreated={(issued) => {
          create.setOpen(false);
          dialogs.reveal(issued);
        }}
      />
      {dialogs.element}
      {finding && <FindByValueDialog onClose={() => setFinding(false)} />}
      <p className="footnote muted">
        Tokens limited to a resource can also be listed from the{' '}
        {can('resources:read') ? <Link href={orgPath(org.id, 'resources')}>Resources</Link> : 'Resources'}{' '}
        page.
      </p>
    </>
  );
}

/** Search by name, hint or id; the URL keeps it (`?q=`), so a search can be shared and reloaded. */
function SearchField({ value }: { value: string }) {
  const [text, setText] = useState(value);
  useEffect(() => setText(value), [value]);
  useEffect(() => {
    if (text.trim() === value) return;
    const timer = window.setTimeout(() => setSearch({ q: text.trim() || undefined }), 250);
    return () => window.clearTimeout(timer);
  }, [text, value]);
  return (
    <div className="field inline-field search-field">
      <label htmlFor="filter-q">Find a token</label>
      <input
        id="filter-q"
        type="search"
        placeholder="Name, hint (last 4) or tok_… id"
        value={text}
        autoComplete="off"
        spellCheck={false}
        onChange={(e) => setText(e.target.value)}
      />
    </div>
  );
}

/**
 * "Which token is this value?" for a value found in a log: the server hashes it and answers the token if
 * the caller may see it. The value is sent in a POST body, never in a URL, and is not kept here.
 */
function FindByValueDialog({ onClose }: { onClose: () => void }) {
  const { org } = useOrg();
  const [value, setValue] = useState('');
  const lookup = useMutation({
    mutationFn: (v: string) => api.lookupToken(org.id, v),
    onSuccess: (answer) => {
      onClose();
      navigate(`${tokenPath(org.id, answer.token.id)}?found=${answer.match}`);
    },
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (value.trim()) lookup.mutate(value.trim());
  };
  const notFound = lookup.error instanceof LatchkeyError && lookup.error.status === 404;
  return (
    <Dialog
      open
      onOpenChange={(open) => !open && onClose()}
      title="Which token is this value?"
      description="Paste a token value found in a log or a repository. Latchkey hashes it and shows the token it belongs to, if you may see it."
    >
      <form onSubmit={submit} noValidate>
        <div className="field">
          <label htmlFor="lookup-value">Token value</label>
          <input
            id="lookup-value"
            type="password"
            autoComplete="off"
            spellCheck={false}
            className="mono"
            value={value}
            onChange={(e) => {
              setValue(e.target.value);
              lookup.reset();
            }}
          />
          <p className="hint">Hidden as you paste it; it is not stored or logged.</p>
        </div>
        {notFound ? (
          <p className="alert alert-warning" role="alert">
            No token of this organization that you may see has this value. It may belong to another
            organization or server, or to a value replaced by a rotation without grace.
          </p>
        ) : (
          <ErrorMessage error={lookup.error} />
        )}
        <div className="dialog-actions">
          <button type="button" className="button" onClick={onClose}>
            Cancel
          </button>
          <button
            type="submit"
            className="button button-primary"
            disabled={lookup.isPending || !value.trim()}
          >
            {lookup.isPending ? 'Looking…' : 'Find the token'}
          </button>
        </div>
      </form>
    </Dialog>
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
