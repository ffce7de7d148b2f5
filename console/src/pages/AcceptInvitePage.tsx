import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useForm } from 'react-hook-form';
import { ErrorMessage } from '../components/ui';
import { api } from '../lib/api';
import { navigate } from '../lib/router';
import { sessionKey } from '../lib/session';

interface AcceptForm {
  name: string;
  password: string;
  confirm: string;
}

/** The invite secret travels in the URL fragment (#token=…), so it never reaches a server log. */
function readInviteToken(): string | null {
  const hash = new URLSearchParams(window.location.hash.replace(/^#/, ''));
  return hash.get('token') ?? new URLSearchParams(window.location.search).get('token');
}

export function AcceptInvitePage() {
  const queryClient = useQueryClient();
  const [inviteToken] = useState(readInviteToken);
  const { register, handleSubmit, formState, getValues } = useForm<AcceptForm>({
    defaultValues: { name: '', password: '', confirm: '' },
  });
  const { errors } = formState;
  const accept = useMutation({
    mutationFn: (values: AcceptForm) =>
      api.acceptInvite({ inviteToken: inviteToken ?? '', name: values.name, password: values.password }),
    onSuccess: async () => {
      // Drop the secret from the address bar and history.
      window.history.replaceState(null, '', '/');
      await queryClient.invalidateQueries({ queryKey: sessionKey });
      navigate('/', { replace: true });
    },
  });

  return (
    <main className="center-page">
      <form className="card auth-card" onSubmit={handleSubmit((values) => accept.mutate(values))} noValidate>
        <div className="brand brand-large" aria-hidden="true">
          <span className="brand-mark">L</span> Latchkey
        </div>
        <h1>Accept your invitation</h1>
        {!inviteToken ? (
          <div className="alert alert-error" role="alert">
            <p>This invitation link is incomplete. Open the full link from your invitation e-mail.</p>
          </div>
        ) : (
          <>
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
            <div className="field">
              <label htmlFor="invite-password">Password</label>
              <input
                id="invite-password"
                type="password"
                autoComplete="new-password"
                aria-invalid={errors.password ? true : undefined}
                {...register('password', {
                  required: 'Choose a password.',
                  minLength: { value: 8, message: 'Use at least 8 characters.' },
                })}
              />
              {errors.password && <p className="field-error">{errors.password.message}</p>}
            </div>
            <div className="field">
              <label htmlFor="invite-confirm">Repeat the password</label>
              <input
                id="invite-confirm"
                type="password"
                autoComplete="new-password"
                aria-invalid={errors.confirm ? true : undefined}
                {...register('confirm', {
                  validate: (value) => value === getValues('password') || 'The passwords do not match.',
                })}
              />
              {errors.confirm && <p className="field-error">{errors.confirm.message}</p>}
            </div>
            <ErrorMessage error={accept.error} />
            <button type="submit" className="button button-primary button-block" disabled={accept.isPending}>
              {accept.isPending ? 'Joining…' : 'Join'}
            </button>
          </>
        )}
      </form>
    </main>
  );
}
