import { useQuery } from '@tanstack/react-query';
import { useEffect } from 'react';
import { Layout } from './components/Layout';
import { ErrorMessage, Loading } from './components/ui';
import { api } from './lib/api';
import { navigate, orgPath, useLocation } from './lib/router';
import { useSessionQuery } from './lib/session';
import { AcceptInvitePage } from './pages/AcceptInvitePage';
import { ForgotPasswordPage } from './pages/ForgotPasswordPage';
import { LoginPage } from './pages/LoginPage';
import { NoOrgPage } from './pages/NoOrgPage';
import { ResetPasswordPage } from './pages/ResetPasswordPage';
import { RevealPage } from './pages/RevealPage';
import { SetupPage } from './pages/SetupPage';
import { VerifyEmailPage } from './pages/VerifyEmailPage';

function Redirect({ to }: { to: string }) {
  useEffect(() => navigate(to, { replace: true }), [to]);
  return <Loading />;
}

function Centered({ children }: { children: React.ReactNode }) {
  return <main className="center-page">{children}</main>;
}

export function App() {
  const { path } = useLocation();
  const session = useSessionQuery();
  const signedOut = session.isSuccess && session.data === null;
  const setup = useQuery({ queryKey: ['setup'], queryFn: api.setupNeeded, enabled: signedOut });

  // Pages of mailed links: they work signed in or not.
  if (path === '/accept-invite') return <AcceptInvitePage />;
  if (path === '/reveal') return <RevealPage />;
  if (path === '/reset-password') return <ResetPasswordPage />;
  if (path === '/verify-email') return <VerifyEmailPage />;
  if (session.isPending)
    return (
      <Centered>
        <Loading />
      </Centered>
    );
  if (session.isError) {
    return (
      <Centered>
        <div className="card">
          <h1>Latchkey</h1>
          <ErrorMessage error={session.error} />
          <button type="button" className="button" onClick={() => void session.refetch()}>
            Try again
          </button>
        </div>
      </Centered>
    );
  }

  const current = session.data;
  if (!current) {
    if (setup.isPending)
      return (
        <Centered>
          <Loading />
        </Centered>
      );
    if (setup.data === true) return path === '/setup' ? <SetupPage /> : <Redirect to="/setup" />;
    if (path === '/forgot-password') return <ForgotPasswordPage />;
    if (path !== '/login') {
      const next =
        path === '/' || path === '/setup' ? '' : `?next=${encodeURIComponent(path + window.location.search)}`;
      return <Redirect to={`/login${next}`} />;
    }
    return <LoginPage />;
  }

  const first = current.orgs[0];
  // /orgs/<org>/<page>, and /orgs/<org>/tokens/<token id> for one token's page.
  const match = /^\/orgs\/([^/]+)(?:\/([^/]+)(?:\/([^/]+))?)?\/?$/.exec(path);
  if (!match) {
    if (!first) return <NoOrgPage />;
    if (path === '/account') return <Redirect to={orgPath(first.id, 'account')} />;
    return <Redirect to={orgPath(first.id, 'tokens')} />;
  }
  const orgId = decodeURIComponent(match[1] ?? '');
  const page = match[2] ?? 'tokens';
  const org = current.orgs.find((o) => o.id === orgId);
  if (!org) {
    return (
      <Centered>
        <div className="card">
          <h1>Organization not found</h1>
          <p>You are not a member of this organization, or it does not exist.</p>
          {first && (
            <a className="button button-primary" href={orgPath(first.id, 'tokens')}>
              Go to {first.name}
            </a>
          )}
        </div>
      </Centered>
    );
  }
  const item = match[3] ? decodeURIComponent(match[3]) : undefined;
  return <Layout session={current} org={org} page={page} item={item} />;
}
