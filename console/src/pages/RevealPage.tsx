import { useMutation } from '@tanstack/react-query';
import { useState } from 'react';
import { CopyButton, ErrorMessage } from '../components/ui';
import { absoluteTime } from '../lib/format';
import { revealApi } from '../lib/reveal-api';
import { AuthCard } from './AuthCard';

/** The key is the link's fragment: browsers never send it to a server, and it is dropped from the address bar. */
function readKey(): string {
  const key = window.location.hash.replace(/^#/, '');
  if (key !== '') window.history.replaceState(null, '', '/reveal');
  return key;
}

/**
 * A one-time link (issue 17): nothing is fetched until the person asks, so a link preview does not use
 * it up; the first opening shows the value once, and later ones say when it was opened or that it expired.
 */
export function RevealPage() {
  const [key] = useState(readKey);
  const open = useMutation({ mutationFn: () => revealApi.open(key) });
  const answer = open.data;

  if (key === '') {
    return (
      <AuthCard title="One-time link">
        <div className="alert alert-error" role="alert">
          This link is incomplete: the part after “#” is missing. Ask for a new link.
        </div>
      </AuthCard>
    );
  }
  if (answer?.status === 'revealed') {
    return (
      <AuthCard title={`Token “${answer.tokenName}”`}>
        <p>
          From {answer.orgName}. This link has now been used: copy the value and store it somewhere safe. It
          will not be shown again.
        </p>
        <label htmlFor="revealed-value">Token value</label>
        <input
          id="revealed-value"
          className="mono"
          readOnly
          value={answer.token}
          onFocus={(e) => e.target.select()}
        />
        <div className="reveal-actions">
          <CopyButton text={answer.token} />
        </div>
        <dl className="facts">
          <div>
            <dt>Client id</dt>
            <dd className="mono">{answer.clientId}</dd>
          </div>
          <div>
            <dt>Expires</dt>
            <dd>{answer.expiresAt ? absoluteTime(answer.expiresAt) : 'Never'}</dd>
          </div>
        </dl>
      </AuthCard>
    );
  }
  if (answer?.status === 'opened') {
    return (
      <AuthCard title="This link was already opened">
        <div className="alert alert-error" role="alert">
          It was opened on {absoluteTime(answer.openedAt)} and works only once. If that was not you, tell the
          person who sent it: they should rotate the token.
        </div>
      </AuthCard>
    );
  }
  if (answer?.status === 'expired') {
    return (
      <AuthCard title="This link has expired">
        <div className="alert alert-error" role="alert">
          It stopped working on {absoluteTime(answer.expiredAt)}. Ask for a new link.
        </div>
      </AuthCard>
    );
  }
  return (
    <AuthCard title="One-time link">
      <p>
        Someone shared a token value with you. It can be shown once: open it when you are ready to store it.
      </p>
      <ErrorMessage error={open.error} />
      <button
        type="button"
        className="button button-primary"
        onClick={() => open.mutate()}
        disabled={open.isPending}
      >
        {open.isPending ? 'Opening…' : 'Show the value'}
      </button>
    </AuthCard>
  );
}
