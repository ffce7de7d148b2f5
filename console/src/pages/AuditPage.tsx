import { useInfiniteQuery, useQuery } from '@tanstack/react-query';
import { EmptyState, ErrorMessage, Loading, LoadMore, PageHeader, Time } from '../components/ui';
import { api } from '../lib/api';
import { absoluteTime } from '../lib/format';
import { setSearch, useLocation } from '../lib/router';
import { useMembers, useOrg, useResources, useRoles } from '../lib/session';
import type { AuditEvent } from '../lib/types';

export function AuditPage() {
  const { org, can, session } = useOrg();
  const { search } = useLocation();
  const tokenId = search.get('tokenId') ?? '';
  const members = useMembers(org.id, can('members:read'));
  const roles = useRoles(org.id, can('roles:read'));
  const resources = useResources(org.id, can('resources:read'));
  const tokens = useQuery({
    queryKey: ['tokens', org.id, 'audit-picker'],
    queryFn: () => api.tokens(org.id, { owner: can('tokens:read') ? undefined : 'me' }),
  });
  const events = useInfiniteQuery({
    queryKey: ['audit', org.id, tokenId],
    queryFn: ({ pageParam }) => api.audit(org.id, { tokenId: tokenId || undefined, cursor: pageParam }),
    initialPageParam: null as string | null,
    getNextPageParam: (last) => last.nextCursor,
  });
  const tokenOptions = tokens.data?.items ?? [];
  const tokenName = (id: string) => tokenOptions.find((t) => t.id === id)?.name;
  const who = (event: AuditEvent) => {
    const { type, id } = event.actor;
    if (!id) return type;
    if (id === session.user.id) return 'You';
    if (type === 'user') {
      const m = members.data?.find((x) => x.userId === id);
      if (m) return m.name || m.email;
    }
    if (type === 'token') return `token ${tokenName(id) ?? id}`;
    return `${type} ${id}`;
  };
  const what = (event: AuditEvent) => {
    if (!event.target) return '—';
    const { type, id } = event.target;
    if (!id) return type;
    let name: string | undefined;
    if (type === 'token') name = tokenName(id);
    else if (type === 'user') name = members.data?.find((x) => x.userId === id)?.name;
    else if (type === 'role') name = roles.data?.find((r) => r.id === id)?.name;
    else if (type === 'resource') name = resources.data?.find((r) => r.id === id)?.name;
    else if (type === 'org' && id === org.id) name = org.name;
    return name ? `${type} ${name} (${id})` : `${type} ${id}`;
  };
  const rows = events.data?.pages.flatMap((p) => p.items) ?? [];

  return (
    <>
      <PageHeader title="Audit log">
        <p className="muted">Who did what to which token, when and from where. Newest first.</p>
      </PageHeader>
      <div className="filters">
        <div className="field inline-field">
          <label htmlFor="audit-token">Token</label>
          <select
            id="audit-token"
            value={tokenId}
            onChange={(e) => setSearch({ tokenId: e.target.value || undefined })}
          >
            <option value="">All tokens</option>
            {tokenId && !tokenOptions.some((t) => t.id === tokenId) && (
              <option value={tokenId}>{tokenId}</option>
            )}
            {tokenOptions.map((t) => (
              <option key={t.id} value={t.id}>
                {t.name} ({t.hint})
              </option>
            ))}
          </select>
        </div>
      </div>
      {events.isPending ? (
        <Loading label="Loading events…" />
      ) : events.isError ? (
        <ErrorMessage error={events.error} />
      ) : rows.length === 0 ? (
        <EmptyState title="No events" />
      ) : (
        <div className="table-wrap">
          <table className="table responsive" aria-label="Audit events">
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">Action</th>
                <th scope="col">Actor</th>
                <th scope="col">Target</th>
                <th scope="col">From</th>
                <th scope="col">Details</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((e) => (
                <tr key={e.id}>
                  <td data-label="When">
                    <span className="two-line">
                      <Time iso={e.at} />
                      <span className="cell-sub muted">{absoluteTime(e.at)}</span>
                    </span>
                  </td>
                  <td data-label="Action">
                    <code className="perm-chip">{e.action}</code>
                  </td>
                  <td data-label="Actor">{who(e)}</td>
                  <td data-label="Target" className="break">
                    {what(e)}
                  </td>
                  <td data-label="From">
                    <span className="two-line">
                      <span className="mono">{e.ip ?? '—'}</span>
                      {e.userAgent && (
                        <span className="cell-sub muted ua" title={e.userAgent}>
                          {e.userAgent}
                        </span>
                      )}
                    </span>
                  </td>
                  <td data-label="Details">
                    {e.details && typeof e.details === 'object' && Object.keys(e.details).length > 0 ? (
                      <details>
                        <summary>Show</summary>
                        <pre className="json">{JSON.stringify(e.details, null, 2)}</pre>
                      </details>
                    ) : (
                      <span className="muted">—</span>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          <LoadMore query={events} />
        </div>
      )}
    </>
  );
}
