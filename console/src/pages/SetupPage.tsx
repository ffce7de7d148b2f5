import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useForm } from 'react-hook-form';
import { ErrorMessage } from '../components/ui';
import { api } from '../lib/api';
import { navigate } from '../lib/router';
import { sessionKey } from '../lib/session';

interface SetupForm {
  name: string;
  email: string;
  password: string;
  orgName: string;
}

export function SetupPage() {
  const queryClient = useQueryClient();
  const { register, handleSubmit, formState } = useForm<SetupForm>({
    defaultValues: { name: '', email: '', password: '', orgName: '' },
  });
  const { errors } = formState;
  const setup = useMutation({
    mutationFn: api.setup,
    onSuccess: async () => {
      queryClient.setQueryData(['setup'], false);
      await queryClient.invalidateQueries({ queryKey: sessionKey });
      navigate('/', { replace: true });
    },
  });

  return (
    <main className="center-page">
      <form className="card auth-card" onSubmit={handleSubmit((values) => setup.mutate(values))} noValidate>
        <div className="brand brand-large" aria-hidden="true">
          <span className="brand-mark">L</span> Latchkey
        </div>
        <h1>Set up Latchkey</h1>
        <p className="muted">
          Create the first administrator and your organization. This page closes once it is done.
        </p>
        <div className="field">
          <label htmlFor="setup-name">Your name</label>
          <input
            id="setup-name"
            autoComplete="name"
            aria-invalid={errors.name ? true : undefined}
            aria-describedby={errors.name ? 'setup-name-error' : undefined}
            {...register('name', {
              required: 'Enter your name.',
              maxLength: { value: 100, message: 'At most 100 characters.' },
            })}
          />
          {errors.name && (
            <p className="field-error" id="setup-name-error">
              {errors.name.message}
            </p>
          )}
        </div>
        <div className="field">
          <label htmlFor="setup-email">E-mail</label>
          <input
            id="setup-email"
            type="email"
            autoComplete="email"
            aria-invalid={errors.email ? true : undefined}
            aria-describedby={errors.email ? 'setup-email-error' : undefined}
            {...register('email', {
              required: 'Enter your e-mail address.',
              pattern: { value: /^[^\s@]+@[^\s@]+$/, message: 'Enter a valid e-mail address.' },
            })}
          />
          {errors.email && (
            <p className="field-error" id="setup-email-error">
              {errors.email.message}
            </p>
          )}
        </div>
        <div className="field">
          <label htmlFor="setup-password">Password</label>
          <input
            id="setup-password"
            type="password"
            autoComplete="new-password"
            aria-invalid={errors.password ? true : undefined}
            aria-describedby="setup-password-hint"
            {...register('password', {
              required: 'Choose a password.',
              minLength: { value: 8, message: 'Use at least 8 characters.' },
            })}
          />
          <p className="hint" id="setup-password-hint">
            At least 8 characters.
          </p>
          {errors.password && <p className="field-error">{errors.password.message}</p>}
        </div>
        <div className="field">
          <label htmlFor="setup-org">Organization name</label>
          <input
            id="setup-org"
            autoComplete="organization"
            aria-invalid={errors.orgName ? true : undefined}
            {...register('orgName', { required: 'Name your organization.' })}
          />
          {errors.orgName && <p className="field-error">{errors.orgName.message}</p>}
        </div>
        <ErrorMessage error={setup.error} />
        <button type="submit" className="button button-primary button-block" disabled={setup.isPending}>
          {setup.isPending ? 'Creating…' : 'Create account and organization'}
        </button>
      </form>
    </main>
  );
}
