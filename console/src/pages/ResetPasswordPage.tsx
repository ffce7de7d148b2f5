import { useMutation, useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { useForm } from 'react-hook-form';
import { NewPasswordFields, type NewPasswordValues } from '../components/NewPasswordFields';
import { ErrorMessage, Loading } from '../components/ui';
import { accountApi, readFragment } from '../lib/account-api';
import { Link } from '../lib/router';
import { AuthCard } from './AuthCard';

/** The page of a reset link (`/reset-password#token=…`): choose a new password; every session ends. */
export function ResetPasswordPage() {
  const [token] = useState(() => readFragment().get('token') ?? '');
  const owner = useQuery({
    queryKey: ['reset-link'],
    queryFn: () => accountApi.inspectResetLink(token),
    enabled: token !== '',
    retry: false,
  });
  const form = useForm<NewPasswordValues>({ defaultValues: { password: '', confirm: '' } });
  const reset = useMutation({
    mutationFn: (values: NewPasswordValues) =>
      accountApi.completePasswordReset({ token, password: values.password }),
    // Drop the secret from the address bar and history.
    onSuccess: () => window.history.replaceState(null, '', '/reset-password'),
  });
  if (reset.isSuccess) {
    return (
      <AuthCard title="Password changed">
        <p role="status">Your new password is set, and every session of your account has ended.</p>
        <Link className="button button-primary button-block" href="/login">
          Sign in
        </Link>
      </AuthCard>
    );
  }
  if (token === '' || owner.isError) {
    return (
      <AuthCard title="Reset your password">
        <div className="alert alert-error" role="alert">
          <p>This link is unknown, used or expired. Ask for a new one.</p>
        </div>
        <Link href="/forgot-password">Send a new link</Link>
      </AuthCard>
    );
  }
  if (owner.isPending)
    return (
      <AuthCard title="Reset your password">
        <Loading />
      </AuthCard>
    );
  return (
    <AuthCard title="Choose a new password" onSubmit={form.handleSubmit((values) => reset.mutate(values))}>
      <p className="muted">
        For <strong>{owner.data.email}</strong>. Setting it signs you out everywhere.
      </p>
      <NewPasswordFields form={form} idPrefix="reset" label="New password" />
      <ErrorMessage error={reset.error} />
      <button type="submit" className="button button-primary button-block" disabled={reset.isPending}>
        {reset.isPending ? 'Saving…' : 'Set the new password'}
      </button>
    </AuthCard>
  );
}
