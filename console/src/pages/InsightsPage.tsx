// Issue 17: the org's tokens that hold more than they use, were never used, never expire or are past the
// configured age, each with its owner; and the settings of the report (age, weekly digest).
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { EmptyState, ErrorMessage, Loading, PageHeader, Time } from '../components/ui';
import { FINDING_LABELS, type InsightSettings, insightsApi } from '../lib/insights-api';
import { Link, orgPath } from '../lib/router';
import { useOrg } from '../lib/session';

export function InsightsPage() {
  const { org, can } = useOrg();
  const report = useQuery({ queryKey: ['insights', org.id], queryFn: () => insightsApi.report(org.id) });
  const r = report.data;
  return (
    <>
      <PageHeader title="Insights">
        <p>Active tokens to look at, from what their verifications used in the last {r?.days ?? 90} days.</p>
      </PageHeader>
      <ErrorMessage error={report.error} />
      {report.isPending && <Loading label="Reading the tokens’ use…" />}
      {r && (
        <>
          <dl className="facts insight-counts">
            {Object.entries(r.counts).map(([key, n]) => (
              <div key={key}>
                <dt>{FINDING_LABELS[key] ?? key}</dt>
                <dd>{n}</dd>
              </div>
            ))}
          </dl>
          {r.items.length === 0 ? (
            <EmptyState title="Nothing to clean up">
              Every active token is used, expires and is young.
            </EmptyState>
          ) : (
            <div className="table-wrap">
              <table aria-label="Tokens to look at">
                <thead>
                  <tr>
                    <th>Token</th>
                    <th>Owner</th>
                    <th>Findings</th>
                    <th>Use</th>
                    <th>Created</th>
                  </tr>
                </thead>
                <tbody>
                  {r.items.map((item) => (
                    <tr key={item.token.id}>
                      <td>
                        <Link href={`${orgPath(org.id, 'tokens')}/${encodeURIComponent(item.token.id)}`}>
                          {item.token.name}
                        </Link>{' '}
                        <span className="mono hint">{item.token.hint}</span>
                      </td>
                      <td>{item.owner ? `${item.owner.name} (${item.owner.email})` : 'No owner'}</td>
                      <td>
                        {item.findings.map((f) => (
                          <span key={f} className="badge">
                            {FINDING_LABELS[f] ?? f}
                          </span>
                        ))}
                      </td>
                      <td>{item.use.summary}</td>
                      <td>
                        <Time iso={item.token.createdAt} />
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </>
      )}
      {can('members:write') && can('roles:write') && <InsightSettingsForm />}
    </>
  );
}

function InsightSettingsForm() {
  const { org } = useOrg();
  const queryClient = useQueryClient();
  const settings = useQuery({
    queryKey: ['insight-settings', org.id],
    queryFn: () => insightsApi.settings(org.id),
  });
  const [draft, setDraft] = useState<InsightSettings | undefined>(undefined);
  useEffect(() => {
    if (settings.data) setDraft(settings.data);
  }, [settings.data]);
  const save = useMutation({
    mutationFn: (body: InsightSettings) => insightsApi.updateSettings(org.id, body),
    onSuccess: async (saved) => {
      queryClient.setQueryData(['insight-settings', org.id], saved);
      await queryClient.invalidateQueries({ queryKey: ['insights', org.id] });
    },
  });
  if (!draft) return null;
  return (
    <form
      className="section card"
      aria-labelledby="insight-settings-title"
      onSubmit={(event) => {
        event.preventDefault();
        save.mutate(draft);
      }}
    >
      <h2 id="insight-settings-title">Report settings</h2>
      <label htmlFor="insight-max-age">Report tokens older than (days)</label>
      <input
        id="insight-max-age"
        type="number"
        min={1}
        max={3650}
        value={draft.maxAgeDays}
        onChange={(e) => setDraft({ ...draft, maxAgeDays: Number(e.target.value) })}
      />
      <label className="checkbox-row">
        <input
          type="checkbox"
          checked={draft.weeklyDigest}
          onChange={(e) => setDraft({ ...draft, weeklyDigest: e.target.checked })}
        />{' '}
        Mail this report to the administrators every week
      </label>
      <ErrorMessage error={save.error} />
      <div className="reveal-actions">
        <button type="submit" className="button button-primary" disabled={save.isPending}>
          {save.isPending ? 'Saving…' : 'Save settings'}
        </button>
        <span role="status" aria-live="polite">
          {save.isSuccess && !save.isPending ? 'Saved.' : ''}
        </span>
      </div>
    </form>
  );
}
