// One token on its own page (/orgs/<org>/tokens/tok_…): its grants, limits and owner, verifications per
// day, its life as a timeline, and its audit trail.
import { useQuery } from '@tanstack/react-query';
import { type ReactNode, useState } from 'react';
import { ErrorMessage, Loading, PageHeader, Time } from '../components/ui';
import { api, LatchkeyError } from '../lib/api';
import { absoluteTime } from '../lib/format';
import { lifeLine, type NameOf, reasonText, timelineOf } from '../lib/lifecycle';
import { Link, orgPath, useLocation } from '../lib/router';
import { BUILT_IN_ROLE_NAMES, useCatalog, useMembers, useOrg, useResources, useRoles } from '../lib/session';
import type { TokenInfo, TokenUsage } from '../lib/types';
import { useToken, useTokenDialogs } from './TokenDialogs';
import { TokenHygiene } from './TokenHygiene';

export function TokenPage({ tokenId }: { tokenId: string }) {
  const { org, session, can } = useOrg();
  const { search } = useLocation();
  const token = useToken(tokenId);
  const members = useMembers(org.id, can('members:read'));
  const roles = useRoles(org.id, can('roles:read'));
  const resources = useResources(org.id, can('resources:read'));
  const catalog = useCatalog();
  const audit = useQuery({
    queryKey: ['audit', org.id, tokenId, 'token-page'],
    queryFn: () => api.audit(org.id, { tokenId }),
    enabled: can('audit:read'),
  });
  const dialogs = useTokenDialogs();
  const nameOf: NameOf = ({ type, id }) => {
    if (!id) return type;
    if (id === session.user.id) return 'you';
    if (type === 'user') {
      const m = members.data?.find((x) => x.userId === id);
      if (m) return m.name || m.email;
    }
    if (type === 'token') return id === tokenId ? 'this token' : `token ${id}`;
    return id;
  };

  const crumbs = (name: string) => (
    <nav className="breadcrumb" aria-label="Breadcrumb">
      <Link href={orgPath(org.id, 'tokens')}>Tokens</Link> <span aria-hidden="true">›</span>{' '}
      <span aria-current="page">{name}</span>
    </nav>
  );
  if (token.isPending) return <Loading label="Loading the token…" />;
  if (token.isError) {
    const gone = token.error instanceof LatchkeyError && token.error.status === 404;
    return (
      <>
        {crumbs(tokenId)}
        <PageHeader title={gone ? 'Token not found' : 'Token'} />
        {gone ? (
          <p>No token {tokenId} in this organization that you may see.</p>
        ) : (
          <ErrorMessage error={token.error} />
        )}
      </>
    );
  }
  const t = token.data;
  const found = search.get('found');
  const life = lifeLine(t, nameOf);
  const labelOf = (key: string) => catalog.data?.find((p) => p.key === key)?.label ?? key;
  const roleName = (id: string) =>
    roles.data?.find((r) => r.id === id)?.name ?? BUILT_IN_ROLE_NAMES[id] ?? id;
  const resourceName = (id: string) => {
    const r = resources.data?.find((x) => x.id === id);
    return r ? `${r.type}/${r.name}` : id;
  };
  const owner =
    t.kind === 'application'
      ? 'The organization (application token)'
      : t.ownerId === session.user.id
        ? 'You'
        : t.ownerId
          ? nameOf({ type: 'user', id: t.ownerId })
          : '—';
  const events = can('audit:read') ? (audit.data?.items ?? null) : null;
  const timeline = timelineOf(t, events ? [...events].reverse() : null, nameOf);

  return (
    <>
      {crumbs(t.name)}
      <PageHeader
        title={t.name}
        actions={
          <>
            <button
              type="button"
              className="button"
              disabled={t.status !== 'active'}
              onClick={() => dialogs.open('edit', t)}
            >
              Edit…
            </button>
            <button
              type="button"
              className="button"
              disabled={t.status !== 'active'}
              onClick={() => dialogs.open('rotate', t)}
            >
              Rotate…
            </button>
            <button
              type="button"
              className="button button-danger-ghost"
              disabled={t.status === 'revoked'}
              onClick={() => dialogs.open('revoke', t)}
            >
              Revoke…
            </button>
          </>
        }
      >
        <p className="muted token-subtitle">
          <code className="hint-code">{t.hint}</code>{' '}
          <span className={`status status-${t.status}`}>{t.status}</span> <code>{t.id}</code>
        </p>
        {t.description && <p>{t.description}</p>}
      </PageHeader>

      {found && (
        <p className="alert alert-success" role="status">
          The value you pasted is {found === 'previous' ? 'the previous value' : 'the current value'} of this
          token.
        </p>
      )}
      {t.status === 'revoked' && t.revokedAt && (
        <div className="alert alert-error" id="token-revoked">
          <p>
            Revoked on {absoluteTime(t.revokedAt)}
            {t.revokedBy
              ? ` by ${nameOf({ type: t.revokedBy.startsWith('tok_') ? 'token' : 'user', id: t.revokedBy })}`
              : ''}
            {reasonText(t.revokedReason) ? ` — reason: ${reasonText(t.revokedReason)}` : ''}. Every
            verification of it is refused.
          </p>
        </div>
      )}
      {t.status === 'active' && t.previousValueExpiresAt && (
        <div className="alert alert-warning" id="token-grace">
          <p>
            The value before the last rotation keeps working until {absoluteTime(t.previousValueExpiresAt)} (
            <Time iso={t.previousValueExpiresAt} />
            ).
          </p>
        </div>
      )}

      <div className="token-facts">
        <FactCard title="Grants">
          <Fact label="Access">
            {t.access === 'full' ? (
              'Full access: every permission its owner holds'
            ) : t.roleId ? (
              `Role: ${roleName(t.roleId)}`
            ) : (t.permissions ?? []).length === 0 ? (
              'None'
            ) : (
              <ul className="plain-list">
                {(t.permissions ?? []).map((p) => (
                  <li key={p}>
                    <code>{p}</code> <span className="muted">{labelOf(p)}</span>
                  </li>
                ))}
              </ul>
            )}
          </Fact>
          <Fact label="Resources">
            {t.resourceIds === null ? 'All resources' : t.resourceIds.map(resourceName).join(', ') || 'None'}
          </Fact>
        </FactCard>
        <FactCard title="Limits">
          <Fact label="Expires">
            <span title={life.title}>{life.main}</span>
            {life.sub && <span className="cell-sub muted"> {life.sub}</span>}
          </Fact>
          <Fact label="Allowed IPs">{t.allowedIps?.length ? t.allowedIps.join(', ') : 'Any address'}</Fact>
          <Fact label="Rate limit">
            {t.rateLimit ? `${t.rateLimit.limit} requests per ${t.rateLimit.windowSeconds} s` : 'None'}
          </Fact>
        </FactCard>
        <FactCard title="Owner">
          <Fact label="Owner">{owner}</Fact>
          <Fact label="Created">
            {absoluteTime(t.createdAt)}
            {t.createdBy ? ` by ${nameOf({ type: 'user', id: t.createdBy })}` : ''}
          </Fact>
          <Fact label="Last used">
            {t.lastUsedAt
              ? `${absoluteTime(t.lastUsedAt)} from ${t.lastUsedIp ?? 'an unknown address'}`
              : 'Never'}
          </Fact>
          <Fact label="Uses">{String(t.useCount)}</Fact>
        </FactCard>
      </div>

      <UsageChart token={t} />
      <TokenHygiene token={t} events={events} labelOf={labelOf} resourceName={resourceName} />

      <section className="section" aria-labelledby="timeline-title">
        <h2 id="timeline-title">Lifecycle</h2>
        {can('audit:read') && audit.isPending ? (
          <Loading />
        ) : (
          <ol className="timeline" aria-label="Lifecycle">
            {timeline.map((entry) => (
              <li key={`${entry.kind}-${entry.at}`} className={`timeline-${entry.kind}`}>
                <time dateTime={entry.at}>{absoluteTime(entry.at)}</time>
                <span className="timeline-title">{entry.title}</span>
                {entry.detail && <span className="muted"> {entry.detail}</span>}
              </li>
            ))}
          </ol>
        )}
        {!can('audit:read') && (
          <p className="hint">Edits and rotations appear here for members who may read the audit log.</p>
        )}
      </section>

      {can('audit:read') && (
        <section className="section" aria-labelledby="trail-title">
          <h2 id="trail-title">Audit trail</h2>
          <ErrorMessage error={audit.error} />
          {events && events.length > 0 && (
            <div className="table-wrap">
              <table className="table responsive" aria-label="Audit trail">
                <thead>
                  <tr>
                    <th scope="col">When</th>
                    <th scope="col">Action</th>
                    <th scope="col">Who</th>
                    <th scope="col">From</th>
                  </tr>
                </thead>
                <tbody>
                  {events.map((event) => (
                    <tr key={event.id}>
                      <td data-label="When">
                        <Time iso={event.at} />
                      </td>
                      <td data-label="Action">
                        <code>{event.action}</code>
                      </td>
                      <td data-label="Who">{nameOf(event.actor)}</td>
                      <td data-label="From" className="mono">
                        {event.ip ?? '—'}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
          <p className="footnote">
            <Link href={`${orgPath(org.id, 'audit')}?tokenId=${encodeURIComponent(t.id)}`}>
              Open in the audit log
            </Link>
          </p>
        </section>
      )}
      {dialogs.element}
    </>
  );
}

function FactCard({ title, children }: { title: string; children: ReactNode }) {
  return (
    <section className="card fact-card" aria-label={title}>
      <h2>{title}</h2>
      <dl className="details-list">{children}</dl>
    </section>
  );
}

function Fact({ label, children }: { label: string; children: ReactNode }) {
  return (
    <div>
      <dt>{label}</dt>
      <dd>{children}</dd>
    </div>
  );
}

/** Verifications per day, valid and refused, as stacked bars, with the numbers in a table for screen readers. */
function UsageChart({ token }: { token: TokenInfo }) {
  const { org } = useOrg();
  const [days, setDays] = useState(30);
  const usage = useQuery({
    queryKey: ['token-usage', org.id, token.id, days],
    queryFn: () => api.tokenUsage(org.id, token.id, days),
  });
  return (
    <section className="section card usage" aria-labelledby="usage-title">
      <div className="usage-head">
        <h2 id="usage-title">Verifications per day</h2>
        <div className="segmented" role="radiogroup" aria-label="Period">
          {[30, 90].map((n) => (
            <label key={n} className="segment">
              <input type="radio" name="usage-days" checked={days === n} onChange={() => setDays(n)} />
              <span>{n} days</span>
            </label>
          ))}
        </div>
      </div>
      {usage.isPending ? (
        <Loading />
      ) : usage.isError ? (
        <ErrorMessage error={usage.error} />
      ) : (
        <UsageBars usage={usage.data} />
      )}
    </section>
  );
}

function UsageBars({ usage }: { usage: TokenUsage }) {
  const max = Math.max(1, ...usage.days.map((d) => d.valid + d.refused));
  const width = 10;
  const height = 120;
  return (
    <>
      <p className="usage-totals" id="usage-totals">
        <span className="legend legend-valid" aria-hidden="true" /> {usage.totals.valid} valid{' '}
        <span className="legend legend-refused" aria-hidden="true" /> {usage.totals.refused} refused
        <span className="muted"> over the last {usage.days.length} days (UTC)</span>
      </p>
      <svg
        className="usage-chart"
        viewBox={`0 0 ${usage.days.length * width} ${height}`}
        preserveAspectRatio="none"
        role="img"
        aria-labelledby="usage-totals"
      >
        <title>Verifications per day</title>
        {usage.days.map((d, i) => {
          const valid = (d.valid / max) * height;
          const refused = (d.refused / max) * height;
          return (
            <g key={d.date}>
              <title>{`${d.date}: ${d.valid} valid, ${d.refused} refused`}</title>
              <rect
                className="bar-valid"
                x={i * width + 1}
                width={width - 2}
                y={height - valid}
                height={valid}
              />
              <rect
                className="bar-refused"
                x={i * width + 1}
                width={width - 2}
                y={height - valid - refused}
                height={refused}
              />
            </g>
          );
        })}
      </svg>
      <div className="usage-axis muted" aria-hidden="true">
        <span>{usage.days[0]?.date}</span>
        <span>{usage.days.at(-1)?.date}</span>
      </div>
      <table className="sr-only" aria-label="Verifications per day">
        <thead>
          <tr>
            <th scope="col">Day</th>
            <th scope="col">Valid</th>
            <th scope="col">Refused</th>
          </tr>
        </thead>
        <tbody>
          {usage.days
            .filter((d) => d.valid + d.refused > 0)
            .map((d) => (
              <tr key={d.date}>
                <td>{d.date}</td>
                <td>{d.valid}</td>
                <td>{d.refused}</td>
              </tr>
            ))}
        </tbody>
      </table>
    </>
  );
}
