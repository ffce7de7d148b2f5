import type { ReactNode } from 'react';

/** The centered card of the pages reached before signing in (sign-in, reset, verify, invitation). */
export function AuthCard({
  title,
  children,
  onSubmit,
}: {
  title: string;
  children: ReactNode;
  onSubmit?: (event: React.FormEvent<HTMLFormElement>) => void;
}) {
  const body = (
    <>
      <div className="brand brand-large" aria-hidden="true">
        <span className="brand-mark">L</span> Latchkey
      </div>
      <h1>{title}</h1>
      {children}
    </>
  );
  return (
    <main className="center-page">
      {onSubmit ? (
        <form className="card auth-card" onSubmit={onSubmit} noValidate>
          {body}
        </form>
      ) : (
        <div className="card auth-card">{body}</div>
      )}
    </main>
  );
}
