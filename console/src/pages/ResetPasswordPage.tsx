import { useMutation, useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { useForm } from 'react-hook-form';
import { ErrorMessage, Loading } from '../components/ui';
import { accountApi, readFragment } from '../lib/account-api';
import { Link } from '../lib/router';
import { AuthCard } from './AuthCard';

interface ResetForm {
  password: string;
  confirm: string;
}

/** The page of a reset link (`/reset-password#token=…`): choose a new password; every session ends. */
export function ResetPasswordPage() {
  const [token] = useState(() => readFragment().get('token') ?? '');
  const owner = useQuery({
    queryKey: ['reset-link'],
    queryFn: () => accountApi.inspectResetLink(token),
    enabled: token !== '',
    retry: false,
  });
  const { register, handleSubmit, formState, getValues } = useForm<ResetForm>({
    defaultValues: { password: '', confirm: '' },
  });
  const { errors } = formState;
  const reset = useMutation({
    mutationFn: (values: ResetForm) => accountApi.completePasswordReset({ token, password: values.password }),
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
    <AuthCard title="Choose a new password" onSubmit={handleSubmit((values) => reset.mutate(values))}>
      <p className="muted">
        For <strong>{owner.data.email}</strong>. Setting it signs you out everywhere.
      </p>
      <div className="field">
        <label htmlFor="reset-password">New password</label>
        <input
          id="reset-password"
          type="password"
          autoComplete="new-password"
          aria-invalid={errors.password ? true : undefined}
          {...register('password', {
            required: 'Choose a password.',
            minLength: { value: 10, message: 'Use at least 10 characters.' },
          })}
        />
        {errors.password && <p className="field-error">{errors.password.message}</p>}
      </div>
      <div className="field">
        <label htmlFor="reset-confirm">Repeat the password</label>
        <input
          id="reset-confirm"
          type="password"
          autoComplete="new-password"
          aria-invalid={errors.confirm ? true : undefined}
          {...register('confirm', {
            validate: (value) => value === getValues('password') || 'The passwords do not match.',
          })}
        />
        {errors.confirm && <p className="field-error">{errors.confirm.message}</p>}
      </div>
      <ErrorMessage error={reset.error} />
      <button type="submit" className="button button-primary button-block" disabled={reset.isPending}>
        {reset.isPending ? 'Saving…' : 'Set the new password'}
      </button>
    </AuthCard>
  );
}
