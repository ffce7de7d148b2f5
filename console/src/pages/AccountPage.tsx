import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useForm } from 'react-hook-form';
import { NewPasswordFields, type NewPasswordValues } from '../components/NewPasswordFields';
import { EmptyState, ErrorMessage, Loading, PageHeader, Time } from '../components/ui';
import { accountApi, describeDevice } from '../lib/account-api';
import { navigate } from '../lib/router';
import { sessionKey, useOrg } from '../lib/session';
import { TwoFactorSection } from './TwoFactorSection';

/** The signed-in person's own account: address, invitations, password, second factor, sessions. */
export function AccountPage() {
  return (
    <>
      <PageHeader title="Account and security">
        <p className="muted">Your address, password, second factor and where you are signed in.</p>
      </PageHeader>
      <EmailSection />
      <InvitationsSection />
      <PasswordSection />
      <TwoFactorSection />
      <SessionsSection />
    </>
  );
}

function EmailSection() {
  const { session } = useOrg();
  const send = useMutation({ mutationFn: accountApi.sendVerification });
  const verified = session.user.emailVerified === true;
  return (
    <section className="card section" aria-labelledby="account-email">
      <h2 id="account-email">E-mail address</h2>
      <p>
        <strong>{session.user.email}</strong>{' '}
        <span className={verified ? 'badge' : 'badge badge-strong'}>
          {verified ? 'confirmed' : 'not confirmed'}
        </span>
      </p>
      {!verified && (
        <>
          <p className="muted">
            Confirm the address to accept invitations from other organizations here. Opening an invitation or
            a password reset mailed to it confirms it too.
          </p>
          {send.isSuccess ? (
            <p role="status">
              {send.data.delivery?.email === 'outbox'
                ? 'No mail server is set up: the mail was saved to the server’s outbox folder.'
                : `A confirmation link is on its way to ${session.user.email}.`}
            </p>
          ) : (
            <button type="button" className="button" disabled={send.isPending} onClick={() => send.mutate()}>
              Send a confirmation mail
            </button>
          )}
          <ErrorMessage error={send.error} />
        </>
      )}
    </section>
  );
}

function InvitationsSection() {
  const queryClient = useQueryClient();
  const invitations = useQuery({ queryKey: ['my-invitations'], queryFn: accountApi.invitations });
  const done = async () => {
    await queryClient.invalidateQueries({ queryKey: ['my-invitations'] });
    await queryClient.invalidateQueries({ queryKey: sessionKey });
  };
  const accept = useMutation({ mutationFn: accountApi.acceptInvitation, onSuccess: done });
  const decline = useMutation({ mutationFn: accountApi.declineInvitation, onSuccess: done });
  if (invitations.isPending || invitations.isError || invitations.data.items.length === 0) return null;
  return (
    <section className="card section" aria-labelledby="account-invitations">
      <h2 id="account-invitations">Invitations</h2>
      <ul className="plain-list">
        {invitations.data.items.map((invite) => (
          <li key={invite.id} className="invitation-row">
            <span>
              {invite.inviterName ?? 'An administrator'} invited you to <strong>{invite.orgName}</strong> as{' '}
              {invite.roleName}.
            </span>
            <span className="row-actions">
              <button
                type="button"
                className="button button-primary"
                disabled={accept.isPending}
                onClick={() =>
                  accept.mutate(invite.id, { onSuccess: () => navigate(`/orgs/${invite.orgId}/tokens`) })
                }
              >
                Join {invite.orgName}
              </button>
              <button
                type="button"
                className="button"
                disabled={decline.isPending}
                onClick={() => decline.mutate(invite.id)}
              >
                Decline
              </button>
            </span>
          </li>
        ))}
      </ul>
      <ErrorMessage error={accept.error ?? decline.error} />
    </section>
  );
}

interface PasswordForm extends NewPasswordValues {
  currentPassword: string;
}

function PasswordSection() {
  const queryClient = useQueryClient();
  const form = useForm<PasswordForm>({ defaultValues: { currentPassword: '', password: '', confirm: '' } });
  const { register, handleSubmit, formState, reset } = form;
  const { errors } = formState;
  const change = useMutation({
    mutationFn: (values: PasswordForm) =>
      accountApi.changePassword({ currentPassword: values.currentPassword, newPassword: values.password }),
    onSuccess: async () => {
      reset();
      await queryClient.invalidateQueries({ queryKey: ['account-sessions'] });
    },
  });
  return (
    <section className="card section" aria-labelledby="account-password">
      <h2 id="account-password">Password</h2>
      <form onSubmit={handleSubmit((values) => change.mutate(values))} noValidate>
        <div className="field">
          <label htmlFor="current-password">Current password</label>
          <input
            id="current-password"
            type="password"
            autoComplete="current-password"
            aria-invalid={errors.currentPassword ? true : undefined}
            {...register('currentPassword', { required: 'Enter your current password.' })}
          />
          {errors.currentPassword && <p className="field-error">{errors.currentPassword.message}</p>}
        </div>
        <NewPasswordFields
          form={form}
          idPrefix="new"
          label="New password"
          confirmLabel="Repeat the new password"
          requiredMessage="Choose a new password."
        />
        <ErrorMessage error={change.error} />
        {change.isSuccess && <p role="status">Password changed. Your other sessions have ended.</p>}
        <button type="submit" className="button" disabled={change.isPending}>
          Change password
        </button>
      </form>
    </section>
  );
}

function SessionsSection() {
  const queryClient = useQueryClient();
  const sessions = useQuery({ queryKey: ['account-sessions'], queryFn: accountApi.sessions });
  const [ending, setEnding] = useState<string | null>(null);
  const refresh = () => queryClient.invalidateQueries({ queryKey: ['account-sessions'] });
  const end = useMutation({
    mutationFn: async (entry: { id: string; current: boolean }) => {
      await accountApi.endSession(entry.id);
      return entry;
    },
    onSuccess: async (entry) => {
      if (entry.current) {
        queryClient.setQueryData(sessionKey, null);
        navigate('/login', { replace: true });
        return;
      }
      await refresh();
    },
    onSettled: () => setEnding(null),
  });
  const others = useMutation({ mutationFn: accountApi.endOtherSessions, onSuccess: refresh });
  return (
    <section className="card section" aria-labelledby="account-sessions">
      <h2 id="account-sessions">Sessions</h2>
      <p className="muted">Where your account is signed in to this console. End any you do not recognise.</p>
      {sessions.isPending ? (
        <Loading />
      ) : sessions.isError ? (
        <ErrorMessage error={sessions.error} />
      ) : sessions.data.items.length === 0 ? (
        <EmptyState title="No sessions" />
      ) : (
        <div className="table-wrap">
          <table className="table responsive" aria-label="Sessions">
            <thead>
              <tr>
                <th scope="col">Device</th>
                <th scope="col">Address</th>
                <th scope="col">Last seen</th>
                <th scope="col">Signed in</th>
                <th scope="col">
                  <span className="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {sessions.data.items.map((entry) => (
                <tr key={entry.id}>
                  <td data-label="Device">
                    <div className="cell-title">
                      {describeDevice(entry.userAgent)}
                      {entry.current && <span className="badge">this session</span>}
                    </div>
                  </td>
                  <td data-label="Address">{entry.ip ?? '—'}</td>
                  <td data-label="Last seen">
                    <Time iso={entry.lastSeenAt} />
                  </td>
                  <td data-label="Signed in">
                    <Time iso={entry.createdAt} />
                  </td>
                  <td className="cell-actions">
                    <button
                      type="button"
                      className="button"
                      aria-label={`End the session on ${describeDevice(entry.userAgent)}${entry.current ? ' (this session)' : ''}`}
                      disabled={ending !== null}
                      onClick={() => {
                        setEnding(entry.id);
                        end.mutate(entry);
                      }}
                    >
                      {entry.current ? 'Sign out' : 'End'}
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <ErrorMessage error={end.error ?? others.error} />
      {others.isSuccess && <p role="status">Ended {others.data.ended} other session(s).</p>}
      {sessions.data && sessions.data.items.length > 1 && (
        <p className="auth-links">
          <button
            type="button"
            className="button"
            disabled={others.isPending}
            onClick={() => others.mutate()}
          >
            Sign out everywhere else
          </button>
        </p>
      )}
    </section>
  );
}
