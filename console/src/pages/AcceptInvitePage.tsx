import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useForm } from 'react-hook-form';
import { NewPasswordFields, type NewPasswordValues } from '../components/NewPasswordFields';
import { ErrorMessage, Loading } from '../components/ui';
import { accountApi, readFragment } from '../lib/account-api';
import { navigate } from '../lib/router';
import { sessionKey, useSessionQuery } from '../lib/session';
import { AuthCard } from './AuthCard';

interface AcceptForm extends NewPasswordValues {
  name: string;
}

// While the person signs in to accept, the link's secrets wait in this tab's session storage (never a URL).
const PENDING = 'latchkey.pending-invite';

/** The invite secret (and the mail's proof) travel in the URL fragment, so they never reach a server log. */
function readInvite(): { token: string; proof: string | undefined } {
  const hash = readFragment();
  const fromHash = hash.get('token');
  const source = fromHash ? hash : new URLSearchParams(sessionStorage.getItem(PENDING) ?? '');
  return { token: source.get('token') ?? '', proof: source.get('proof') ?? undefined };
}

export function AcceptInvitePage() {
  const queryClient = useQueryClient();
  const [invite] = useState(readInvite);
  const session = useSessionQuery();
  const preview = useQuery({
    queryKey: ['invite-preview'],
    queryFn: () => accountApi.invitePreview(invite.token),
    enabled: invite.token !== '',
    retry: false,
  });
  const form = useForm<AcceptForm>({ defaultValues: { name: '', password: '', confirm: '' } });
  const { register, handleSubmit, formState } = form;
  const { errors } = formState;
  const accept = useMutation({
    mutationFn: (values?: AcceptForm) =>
      accountApi.acceptInvite({
        inviteToken: invite.token,
        ...(invite.proof && { proof: invite.proof }),
        ...(values && { name: values.name, password: values.password }),
      }),
    onSuccess: async () => {
      // Drop the secret from the address bar, the history and the tab's storage.
      sessionStorage.removeItem(PENDING);
      window.history.replaceState(null, '', '/');
      await queryClient.invalidateQueries({ queryKey: sessionKey });
      navigate('/', { replace: true });
    },
  });

  if (invite.token === '') {
    return (
      <AuthCard title="Accept your invitation">
        <div className="alert alert-error" role="alert">
          <p>This invitation link is incomplete. Open the full link from your invitation e-mail.</p>
        </div>
      </AuthCard>
    );
  }
  if (preview.isError) {
    return (
      <AuthCard title="Accept your invitation">
        <div className="alert alert-error" role="alert">
          <p>This invitation is unknown, used or expired. Ask the person who invited you for a new link.</p>
        </div>
      </AuthCard>
    );
  }
  if (preview.isPending || session.isPending) {
    return (
      <AuthCard title="Accept your invitation">
        <Loading />
      </AuthCard>
    );
  }
  const about = preview.data;
  const intro = (
    <p>
      {about.inviterName ? <strong>{about.inviterName}</strong> : 'An administrator'} invited{' '}
      <strong>{about.email}</strong> to join <strong>{about.orgName}</strong> as {about.roleName}.
    </p>
  );
  const title = `Join ${about.orgName}`;

  if (about.existingAccount) {
    const user = session.data?.user;
    if (!user) {
      return (
        <AuthCard title={title}>
          {intro}
          <p className="muted">An account for {about.email} exists: sign in to it to accept.</p>
          <button
            type="button"
            className="button button-primary button-block"
            onClick={() => {
              sessionStorage.setItem(
                PENDING,
                new URLSearchParams({
                  token: invite.token,
                  ...(invite.proof && { proof: invite.proof }),
                }).toString(),
              );
              navigate('/login?next=/accept-invite');
            }}
          >
            Sign in to accept
          </button>
        </AuthCard>
      );
    }
    if (user.email !== about.email) {
      return (
        <AuthCard title={title}>
          {intro}
          <div className="alert alert-error" role="alert">
            <p>
              You are signed in as {user.email}. Sign out, then open this link again and sign in as{' '}
              {about.email}.
            </p>
          </div>
        </AuthCard>
      );
    }
    return (
      <AuthCard title={title}>
        {intro}
        <ErrorMessage error={accept.error} />
        <button
          type="button"
          className="button button-primary button-block"
          disabled={accept.isPending}
          onClick={() => accept.mutate(undefined)}
        >
          {accept.isPending ? 'Joining…' : `Join ${about.orgName}`}
        </button>
      </AuthCard>
    );
  }

  return (
    <AuthCard title={title} onSubmit={handleSubmit((values) => accept.mutate(values))}>
      {intro}
      <p className="muted">Choose your name and a password to join.</p>
      <div className="field">
        <label htmlFor="invite-name">Your name</label>
        <input
          id="invite-name"
          autoComplete="name"
          aria-invalid={errors.name ? true : undefined}
          {...register('name', { required: 'Enter your name.' })}
        />
        {errors.name && <p className="field-error">{errors.name.message}</p>}
      </div>
      <NewPasswordFields form={form} idPrefix="invite" />
      <ErrorMessage error={accept.error} />
      <button type="submit" className="button button-primary button-block" disabled={accept.isPending}>
        {accept.isPending ? 'Joining…' : 'Join'}
      </button>
    </AuthCard>
  );
}
