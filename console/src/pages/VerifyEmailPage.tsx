import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { ErrorMessage } from '../components/ui';
import { accountApi, readFragment } from '../lib/account-api';
import { Link } from '../lib/router';
import { sessionKey } from '../lib/session';
import { AuthCard } from './AuthCard';

/** The page of a verification link (`/verify-email#token=…`): one click confirms the address. */
export function VerifyEmailPage() {
  const queryClient = useQueryClient();
  const [token] = useState(() => readFragment().get('token') ?? '');
  const confirm = useMutation({
    mutationFn: () => accountApi.verifyEmail(token),
    onSuccess: async () => {
      window.history.replaceState(null, '', '/verify-email');
      await queryClient.invalidateQueries({ queryKey: sessionKey });
    },
  });
  if (confirm.isSuccess) {
    return (
      <AuthCard title="Address confirmed">
        <p role="status">
          <strong>{confirm.data.email}</strong> is confirmed. Invitations to it can now be accepted from your
          account page.
        </p>
        <Link className="button button-primary button-block" href="/account">
          Open my account
        </Link>
      </AuthCard>
    );
  }
  return (
    <AuthCard title="Confirm your e-mail address">
      {token === '' ? (
        <div className="alert alert-error" role="alert">
          <p>This link is incomplete. Open the full link from the mail.</p>
        </div>
      ) : (
        <>
          <ErrorMessage error={confirm.error} />
          <button
            type="button"
            className="button button-primary button-block"
            disabled={confirm.isPending}
            onClick={() => confirm.mutate()}
          >
            {confirm.isPending ? 'Confirming…' : 'Confirm my address'}
          </button>
        </>
      )}
    </AuthCard>
  );
}
