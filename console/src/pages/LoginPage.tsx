import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useForm } from 'react-hook-form';
import { ErrorMessage } from '../components/ui';
import { api } from '../lib/api';
import { Link, navigate, useLocation } from '../lib/router';
import { sessionKey } from '../lib/session';

interface LoginForm {
  email: string;
  password: string;
}

/** Only same-site paths are followed after sign-in. */
function safeNext(next: string | null): string {
  if (!next) return '/';
  return next.startsWith('/') && !next.startsWith('//') ? next : '/';
}

export function LoginPage() {
  const queryClient = useQueryClient();
  const { search } = useLocation();
  const { register, handleSubmit, formState } = useForm<LoginForm>({
    defaultValues: { email: '', password: '' },
  });
  const { errors } = formState;
  const login = useMutation({
    mutationFn: api.login,
    onSuccess: async () => {
      await queryClient.invalidateQueries({ queryKey: sessionKey });
      navigate(safeNext(search.get('next')), { replace: true });
    },
  });

  return (
    <main className="center-page">
      <form className="card auth-card" onSubmit={handleSubmit((values) => login.mutate(values))} noValidate>
        <div className="brand brand-large" aria-hidden="true">
          <span className="brand-mark">L</span> Latchkey
        </div>
        <h1>Sign in</h1>
        <div className="field">
          <label htmlFor="login-email">E-mail</label>
          <input
            id="login-email"
            type="email"
            autoComplete="username"
            aria-invalid={errors.email ? true : undefined}
            {...register('email', { required: 'Enter your e-mail address.' })}
          />
          {errors.email && <p className="field-error">{errors.email.message}</p>}
        </div>
        <div className="field">
          <label htmlFor="login-password">Password</label>
          <input
            id="login-password"
            type="password"
            autoComplete="current-password"
            aria-invalid={errors.password ? true : undefined}
            {...register('password', { required: 'Enter your password.' })}
          />
          {errors.password && <p className="field-error">{errors.password.message}</p>}
        </div>
        <ErrorMessage error={login.error} />
        <button type="submit" className="button button-primary button-block" disabled={login.isPending}>
          {login.isPending ? 'Signing in…' : 'Sign in'}
        </button>
        <p className="auth-links">
          <Link href="/forgot-password">Forgot password?</Link>
        </p>
      </form>
    </main>
  );
}
