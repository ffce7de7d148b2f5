import { useInfiniteQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { Dialog, EmptyState, ErrorMessage, Loading, LoadMore, PageHeader, Time } from '../components/ui';
import { api } from '../lib/api';
import { absoluteTime } from '../lib/format';
import { useOrg } from '../lib/session';
import type { OutboxMail } from '../lib/types';

const KIND_LABELS: Record<string, string> = {
  'token.value': 'Token value',
  invite: 'Invitation',
  'token.expiring': 'Expiry notice',
  'token.leaked': 'Leak notice',
  'token.unused': 'Unused token',
  'webhook.disabled': 'Webhook disabled',
};

/**
 * Without SMTP the server writes each mail to its outbox folder instead of sending it; this page is where
 * people read them. The list is the server's, not the org's: your own mails, and those about orgs you administer.
 */
export function OutboxPage() {
  const { session } = useOrg();
  const mails = useInfiniteQuery({
    queryKey: ['outbox', session.user.id],
    queryFn: ({ pageParam }) => api.outbox(pageParam),
    initialPageParam: null as string | null,
    getNextPageParam: (last) => last.nextCursor,
  });
  const [reading, setReading] = useState<OutboxMail | null>(null);
  const orgName = (id: string | null) => (id ? (session.orgs.find((o) => o.id === id)?.name ?? id) : '—');
  const rows = mails.data?.pages.flatMap((p) => p.items) ?? [];
  const transport = mails.data?.pages[0]?.transport;

  return (
    <>
      <PageHeader
        title="Outbox"
        actions={
          <button
            type="button"
            className="button"
            onClick={() => void mails.refetch()}
            disabled={mails.isFetching}
          >
            {mails.isFetching && !mails.isPending ? 'Refreshing…' : 'Refresh'}
          </button>
        }
      >
        {transport === 'smtp' ? (
          <p className="muted">This server sends its mail through a mail server (SMTP).</p>
        ) : (
          <p className="muted">
            Mails this server would have sent. It has no mail server (SMTP) configured, so it keeps each mail
            here instead of sending it. You see the mails addressed to you ({session.user.email}) and, in
            organizations you administer, the invitations and notices about them.
          </p>
        )}
      </PageHeader>
      {transport === 'smtp' && (
        <p className="alert alert-success">
          This server sends mail through SMTP, so nothing is kept here: look in your mailbox instead.
        </p>
      )}
      {mails.isPending ? (
        <Loading label="Loading the outbox…" />
      ) : mails.isError ? (
        <ErrorMessage error={mails.error} />
      ) : rows.length === 0 ? (
        <EmptyState title="The outbox is empty">
          <p className="muted">Invitations, token values sent by e-mail and notices will appear here.</p>
        </EmptyState>
      ) : (
        <div className="table-wrap">
          <table className="table responsive" aria-label="Outbox">
            <thead>
              <tr>
                <th scope="col">Subject</th>
                <th scope="col">To</th>
                <th scope="col">Organization</th>
                <th scope="col">Date</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((mail) => (
                <tr key={mail.id} data-mail-id={mail.id}>
                  <td data-label="Subject">
                    <button type="button" className="link-button cell-title" onClick={() => setReading(mail)}>
                      {mail.subject || '(no subject)'}
                    </button>
                    {mail.kind && <span className="badge">{KIND_LABELS[mail.kind] ?? mail.kind}</span>}
                  </td>
                  <td data-label="To" className="break">
                    {mail.to}
                  </td>
                  <td data-label="Organization">{orgName(mail.orgId)}</td>
                  <td data-label="Date">
                    <Time iso={mail.date} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          <LoadMore query={mails} />
        </div>
      )}
      {reading && (
        <Dialog
          open
          onOpenChange={(open) => !open && setReading(null)}
          title={reading.subject || '(no subject)'}
          description="Not sent: the server kept this mail in its outbox."
          wide
        >
          <dl className="details-list mail-head">
            <div>
              <dt>To</dt>
              <dd>{reading.to}</dd>
            </div>
            <div>
              <dt>Date</dt>
              <dd>{reading.date ? absoluteTime(reading.date) : '—'}</dd>
            </div>
            <div>
              <dt>Organization</dt>
              <dd>{orgName(reading.orgId)}</dd>
            </div>
          </dl>
          <section aria-label="Mail text">
            <pre className="mail-body">{reading.text}</pre>
          </section>
          <div className="dialog-actions">
            <button type="button" className="button button-primary" onClick={() => setReading(null)}>
              Close
            </button>
          </div>
        </Dialog>
      )}
    </>
  );
}
