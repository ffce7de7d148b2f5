import { useMutation } from '@tanstack/react-query';
import { useForm } from 'react-hook-form';
import { ErrorMessage } from '../components/ui';
import { accountApi } from '../lib/account-api';
import { Link } from '../lib/router';
import { AuthCard } from './AuthCard';

/** "Forgot password?": the answer is the same whether or not the address has an account. */
export function ForgotPasswordPage() {
  const { register, handleSubmit, formState } = useForm<{ email: string }>({ defaultValues: { email: '' } });
  const ask = useMutation({ mutationFn: (email: string) => accountApi.requestPasswordReset(email) });
  if (ask.isSuccess) {
    return (
      <AuthCard title="Check your mail">
        <p role="status">{ask.data.message}</p>
        <p className="muted">
          No mail server set up? The mail waits in the server&apos;s outbox folder; an operator can also run{' '}
          <code>latchkey users reset-password &lt;e-mail&gt;</code> on the server.
        </p>
        <Link href="/login">Back to sign-in</Link>
      </AuthCard>
    );
  }
  return (
    <AuthCard title="Reset your password" onSubmit={handleSubmit((values) => ask.mutate(values.email))}>
      <p className="muted">
        We will mail you a link to choose a new password. It works once, for 30 minutes.
      </p>
      <div className="field">
        <label htmlFor="forgot-email">E-mail</label>
        <input
          id="forgot-email"
          type="email"
          autoComplete="username"
          aria-invalid={formState.errors.email ? true : undefined}
          {...register('email', { required: 'Enter your e-mail address.' })}
        />
        {formState.errors.email && <p className="field-error">{formState.errors.email.message}</p>}
      </div>
      <ErrorMessage error={ask.error} />
      <button type="submit" className="button button-primary button-block" disabled={ask.isPending}>
        {ask.isPending ? 'Sending…' : 'Send the link'}
      </button>
      <Link href="/login">Back to sign-in</Link>
    </AuthCard>
  );
}
