// Issue 17 on the token page: what the token used against what it holds (and "Narrow to what is used"), a
// value of it presented after its rotation ended (reuse), and its one-time links.
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { ConfirmDialog, ErrorMessage } from '../components/ui';
import { api } from '../lib/api';
import { absoluteTime } from '../lib/format';
import { insightsApi } from '../lib/insights-api';
import { revealApi } from '../lib/reveal-api';
import { useOrg } from '../lib/session';
import type { TokenInfo } from '../lib/types';

interface AuditLike {
  action: string;
  at: string;
  ip: string | null;
}

export function TokenHygiene({
  token,
  events,
  labelOf,
  resourceName,
}: {
  token: TokenInfo;
  events: readonly AuditLike[] | null;
  labelOf: (key: string) => string;
  resourceName: (id: string) => string;
}) {
  const { org } = useOrg();
  const queryClient = useQueryClient();
  const [confirming, setConfirming] = useState(false);
  const use = useQuery({
    queryKey: ['token-use', org.id, token.id],
    queryFn: () => insightsApi.tokenUse(org.id, token.id),
  });
  const links = useQuery({
    queryKey: ['token-links', org.id, token.id],
    queryFn: () => revealApi.list(org.id, token.id),
  });
  const narrow = useMutation({
    mutationFn: () => api.updateToken(org.id, token.id, use.data?.narrow ?? {}),
    onSuccess: async () => {
      setConfirming(false);
      await Promise.all([
        queryClient.invalidateQueries({ queryKey: ['token', org.id] }),
        queryClient.invalidateQueries({ queryKey: ['token-use', org.id, token.id] }),
        queryClient.invalidateQueries({ queryKey: ['tokens', org.id] }),
        queryClient.invalidateQueries({ queryKey: ['audit', org.id] }),
      ]);
    },
  });
  const reuse = (events ?? []).filter((e) => e.action === 'token.old_value_reused');
  const u = use.data;
  const proposal = u?.narrow ?? null;

  return (
    <>
      {reuse.length > 0 && (
        <div className="alert alert-error" role="alert" id="old-value-reused">
          <strong>An old value of this token was presented after its rotation ended</strong> — a copy of it
          lives somewhere it should not. Last from {reuse[0]?.ip ?? 'an unknown address'} on{' '}
          {absoluteTime(reuse[0]?.at ?? '')}
          {reuse.length > 1 ? ` (${reuse.length} times)` : ''}. It was refused.
        </div>
      )}
      <section className="section card" aria-labelledby="use-title">
        <h2 id="use-title">Least privilege</h2>
        <ErrorMessage error={use.error} />
        {u && (
          <>
            <p id="use-summary">{u.summary.charAt(0).toUpperCase() + u.summary.slice(1)}.</p>
            {u.permissions.used.length > 0 && (
              <p className="hint">
                Used: {u.permissions.used.map(labelOf).join(', ')}
                {u.resources.used.length > 0 ? ` on ${u.resources.used.map(resourceName).join(', ')}` : ''}.
              </p>
            )}
            {proposal && token.status === 'active' && (
              <button type="button" className="button" onClick={() => setConfirming(true)}>
                Narrow to what is used
              </button>
            )}
          </>
        )}
        <ConfirmDialog
          open={confirming}
          onOpenChange={setConfirming}
          title={`Narrow “${token.name}”?`}
          body="The token keeps only what its verifications used in the last 90 days. Anything else it asks for from now on is refused."
          confirmLabel="Narrow token"
          onConfirm={() => narrow.mutate()}
          pending={narrow.isPending}
          error={narrow.error}
        >
          {proposal?.permissions && (
            <p>
              Permissions: <span className="mono">{proposal.permissions.join(', ')}</span>
            </p>
          )}
          {proposal?.resourceIds && <p>Resources: {proposal.resourceIds.map(resourceName).join(', ')}</p>}
        </ConfirmDialog>
      </section>
      {links.data && links.data.items.length > 0 && (
        <section className="section card" aria-labelledby="links-title">
          <h2 id="links-title">One-time links</h2>
          <ul className="plain-list">
            {links.data.items.map((link) => (
              <li key={link.id}>
                {link.status === 'opened'
                  ? `Opened ${absoluteTime(link.openedAt ?? '')}${link.openedIp ? ` from ${link.openedIp}` : ''}`
                  : link.status === 'expired'
                    ? `Expired unopened ${absoluteTime(link.expiresAt)}`
                    : `Not opened yet; works until ${absoluteTime(link.expiresAt)}`}
                <span className="hint"> (made {absoluteTime(link.createdAt)})</span>
              </li>
            ))}
          </ul>
        </section>
      )}
    </>
  );
}
