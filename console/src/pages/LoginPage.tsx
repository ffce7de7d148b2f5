import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useForm } from 'react-hook-form';
import { ErrorMessage } from '../components/ui';
import { isChallenge, SSO_ERRORS, ssoApi, type TwoFactorChallenge, twoFactorApi } from '../lib/account-api';
import { LatchkeyError } from '../lib/api';
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
  const [challenge, setChallenge] = useState<TwoFactorChallenge | null>(null);
  const providers = useQuery({ queryKey: ['sso-providers'], queryFn: ssoApi.providers, retry: false });
  const ssoError = search.get('sso_error');
  const signedIn = async () => {
    await queryClient.invalidateQueries({ queryKey: sessionKey });
    navigate(safeNext(search.get('next')), { replace: true });
  };
  const login = useMutation({
    mutationFn: twoFactorApi.login,
    onSuccess: async (answer) => {
      // With a second factor the password step answers a challenge, and the code step signs in.
      if (isChallenge(answer)) setChallenge(answer);
      else await signedIn();
    },
  });
  if (challenge)
    return <SecondStep challenge={challenge} onSignedIn={signedIn} onRestart={() => setChallenge(null)} />;

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
        {ssoError && (
          <div className="alert alert-error" role="alert">
            <p>{SSO_ERRORS[ssoError] ?? 'Single sign-on did not sign you in. Start again.'}</p>
          </div>
        )}
        {(providers.data?.items ?? []).map((provider) => (
          // A full navigation: the provider's page follows, then the server's callback sets the session.
          <a
            key={provider.id}
            className="button button-block sso-button"
            href={`/v1/auth/sso/${provider.id}/start`}
          >
            Continue with {provider.name}
          </a>
        ))}
      </form>
    </main>
  );
}

function SecondStep({
  challenge,
  onSignedIn,
  onRestart,
}: {
  challenge: TwoFactorChallenge;
  onSignedIn: () => Promise<void>;
  onRestart: () => void;
}) {
  const { register, handleSubmit, formState } = useForm<{ code: string }>({ defaultValues: { code: '' } });
  const verify = useMutation({
    mutationFn: (code: string) => twoFactorApi.secondStep({ challenge: challenge.challenge, code }),
    onSuccess: onSignedIn,
  });
  const expired =
    verify.error instanceof LatchkeyError &&
    (verify.error.details as { reason?: string } | null)?.reason === 'CHALLENGE_EXPIRED';
  return (
    <main className="center-page">
      <form
        className="card auth-card"
        onSubmit={handleSubmit((values) => verify.mutate(values.code))}
        noValidate
      >
        <div className="brand brand-large" aria-hidden="true">
          <span className="brand-mark">L</span> Latchkey
        </div>
        <h1>Two-factor authentication</h1>
        <p className="muted">
          Type the 6-digit code of your authenticator app, or one of your recovery codes.
        </p>
        <div className="field">
          <label htmlFor="login-code">Authentication code</label>
          <input
            id="login-code"
            autoComplete="one-time-code"
            aria-invalid={formState.errors.code ? true : undefined}
            {...register('code', { required: 'Type a code.' })}
          />
          {formState.errors.code && <p className="field-error">{formState.errors.code.message}</p>}
        </div>
        <ErrorMessage error={verify.error} />
        {expired ? (
          <button type="button" className="button button-primary button-block" onClick={onRestart}>
            Enter the password again
          </button>
        ) : (
          <button type="submit" className="button button-primary button-block" disabled={verify.isPending}>
            {verify.isPending ? 'Checking…' : 'Verify'}
          </button>
        )}
      </form>
    </main>
  );
}
