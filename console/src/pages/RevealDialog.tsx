import { tokenCsv } from '@latchkey/sdk/rules';
import { useMutation } from '@tanstack/react-query';
import { useState } from 'react';
import { OneTimeSecretDialog } from '../components/OneTimeSecretDialog';
import { CopyButton, ErrorMessage } from '../components/ui';
import { api } from '../lib/api';
import { csvFileName } from '../lib/csv';
import { absoluteTime } from '../lib/format';
import { type IssuedLink, LINK_TTLS, revealApi } from '../lib/reveal-api';
import { Link, orgPath } from '../lib/router';
import type { Delivery, IssuedToken } from '../lib/types';

/**
 * Shows a token value exactly once. Closing before the value was copied,
 * downloaded or e-mailed asks for confirmation.
 */
export function RevealDialog({
  issued,
  orgId,
  email,
  rotated,
  onClose,
}: {
  issued: IssuedToken;
  orgId: string;
  email: string;
  rotated?: boolean;
  onClose: () => void;
}) {
  const [downloaded, setDownloaded] = useState(false);
  const [delivery, setDelivery] = useState<Delivery | undefined>(issued.delivery);
  const [link, setLink] = useState<IssuedLink | undefined>(issued.link);
  const [linkTtl, setLinkTtl] = useState<string>('15m');
  const makeLink = useMutation({
    mutationFn: () => revealApi.create(orgId, issued.clientId, issued.token, linkTtl),
    onSuccess: setLink,
  });
  const send = useMutation({
    mutationFn: () => api.deliverToken(orgId, issued.clientId, issued.token),
    onSuccess: (answer) => setDelivery(answer.delivery),
  });
  // A mail in the Outbox can be read there again: the value is not lost either way.
  const mailed = delivery?.email === 'smtp' || delivery?.email === 'outbox';

  const download = () => {
    const blob = new Blob([tokenCsv(issued)], { type: 'text/csv;charset=utf-8' });
    const url = URL.createObjectURL(blob);
    const a = document.createElement('a');
    a.href = url;
    a.download = csvFileName(issued.tokenInfo.name);
    document.body.appendChild(a);
    a.click();
    a.remove();
    window.setTimeout(() => URL.revokeObjectURL(url), 1000);
    setDownloaded(true);
  };

  const info = issued.tokenInfo;
  return (
    <OneTimeSecretDialog
      title={rotated ? `New value for “${info.name}”` : `Token “${info.name}” created`}
      description="Copy the value now and store it somewhere safe."
      warning={
        <>
          <strong>This value will not be shown again.</strong> Latchkey keeps only a hash of it. If you lose
          it, rotate or revoke the token and create a new one.
        </>
      }
      label="Token value"
      inputId="token-value"
      value={issued.token}
      savedElsewhere={downloaded || mailed || link !== undefined}
      confirmId="confirm-close-text"
      confirmText={
        <>
          You have not copied, downloaded or e-mailed this token. Once closed, the value is gone for good.
          Close anyway?
        </>
      }
      closeAnywayLabel="Close without saving"
      onClose={onClose}
    >
      <dl className="facts">
        <div>
          <dt>Client id</dt>
          <dd className="mono">{issued.clientId}</dd>
        </div>
        <div>
          <dt>Expires</dt>
          <dd>{info.expiresAt ? absoluteTime(info.expiresAt) : 'Never'}</dd>
        </div>
        {rotated && (
          <div>
            <dt>Old value</dt>
            <dd id="old-value-end">
              {info.previousValueExpiresAt
                ? `Keeps working until ${absoluteTime(info.previousValueExpiresAt)}`
                : 'Stopped working now'}
            </dd>
          </div>
        )}
      </dl>
      <div className="reveal-actions">
        <button type="button" className="button" onClick={download}>
          Download CSV
        </button>
        {downloaded && <span className="hint">Saved as {csvFileName(info.name)}</span>}
      </div>
      <div className="reveal-mail">
        <div className="reveal-actions">
          <button type="button" className="button" onClick={() => send.mutate()} disabled={send.isPending}>
            {send.isPending ? 'Sending…' : delivery ? 'Send to my e-mail again' : 'Send to my e-mail'}
          </button>
          <span role="status" aria-live="polite">
            {delivery?.email === 'smtp' && <span className="success-text">Sent to {email}.</span>}
            {delivery?.email === 'outbox' && (
              <span className="warning-text">
                No mail server is set up: saved to the <Link href={orgPath(orgId, 'outbox')}>Outbox</Link>,
                not sent to {email}.
              </span>
            )}
          </span>
        </div>
        {delivery?.email === 'failed' && (
          <p className="field-error" role="alert">
            Sending to {email} failed{delivery.error ? `: ${delivery.error}` : '.'} Copy or download the value
            instead.
          </p>
        )}
        <ErrorMessage error={send.error} />
        <p className="hint">
          The e-mail goes to your own address, {email}, and holds the value in plain text.
        </p>
      </div>
      <div className="reveal-mail reveal-link">
        {link ? (
          <>
            <label htmlFor="reveal-link-url">One-time link</label>
            <input
              id="reveal-link-url"
              className="mono"
              readOnly
              value={link.url}
              onFocus={(e) => e.target.select()}
            />
            <div className="reveal-actions">
              <CopyButton text={link.url} label="Copy link" />
              <span className="hint">
                Opens once, until {absoluteTime(link.expiresAt)}. The token page shows when it is opened.
              </span>
            </div>
          </>
        ) : (
          <div className="reveal-actions">
            <button
              type="button"
              className="button"
              onClick={() => makeLink.mutate()}
              disabled={makeLink.isPending}
            >
              {makeLink.isPending ? 'Creating…' : 'Create a one-time link'}
            </button>
            <label htmlFor="reveal-link-ttl" className="sr-only">
              Link works for
            </label>
            <select id="reveal-link-ttl" value={linkTtl} onChange={(e) => setLinkTtl(e.target.value)}>
              {LINK_TTLS.map((t) => (
                <option key={t.value} value={t.value}>
                  for {t.label}
                </option>
              ))}
            </select>
          </div>
        )}
        <ErrorMessage error={makeLink.error} />
        <p className="hint">
          For a colleague: the link shows the value once to whoever opens it first. Latchkey keeps the value
          only encrypted, under a key that is in the link alone.
        </p>
      </div>
    </OneTimeSecretDialog>
  );
}
