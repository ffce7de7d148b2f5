import type { AddedMember } from '@latchkey/sdk/browser';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { useForm } from 'react-hook-form';
import {
  ConfirmDialog,
  CopyButton,
  EmptyState,
  ErrorMessage,
  Loading,
  PageHeader,
  Time,
} from '../components/ui';
import { accountApi } from '../lib/account-api';
import { api, LatchkeyError } from '../lib/api';
import { absoluteTime } from '../lib/format';
import { Link, orgPath } from '../lib/router';
import { BUILT_IN_ROLE_NAMES, sessionKey, useMembers, useOrg, useRoles } from '../lib/session';
import type { Invite, Member, Role } from '../lib/types';

/** A member as a screen reader should hear them: name and e-mail, so two Adas stay apart. */
const who = (m: Member) => (m.name ? `${m.name} (${m.email})` : m.email);

export function MembersPage() {
  const { org, session, can } = useOrg();
  const queryClient = useQueryClient();
  const members = useMembers(org.id);
  const roles = useRoles(org.id, can('roles:read'));
  const writable = can('members:write');
  const [removing, setRemoving] = useState<Member | null>(null);
  // A role change waits for a confirmation naming the person, the old and the new role.
  const [changing, setChanging] = useState<{ member: Member; roleId: string } | null>(null);
  const [rowStatus, setRowStatus] = useState<{ userId: string; text: string; error?: unknown } | null>(null);

  const roleOptions: Pick<Role, 'id' | 'name'>[] =
    roles.data ?? Object.entries(BUILT_IN_ROLE_NAMES).map(([id, name]) => ({ id, name }));
  const roleName = (id: string) => roleOptions.find((r) => r.id === id)?.name ?? id;

  const changeRole = useMutation({
    mutationFn: ({ member, roleId }: { member: Member; roleId: string }) =>
      api.updateMember(org.id, member.userId, { roleId }),
    onSuccess: (_data, { member, roleId }) => {
      setChanging(null);
      setRowStatus({
        userId: member.userId,
        text: `${member.name || member.email} is now ${roleName(roleId)}.`,
      });
      void queryClient.invalidateQueries({ queryKey: ['members', org.id] });
      if (member.userId === session.user.id) void queryClient.invalidateQueries({ queryKey: sessionKey });
    },
    onError: (error, { member }) => {
      setChanging(null);
      setRowStatus({ userId: member.userId, text: '', error });
    },
  });

  const remove = useMutation({
    mutationFn: (member: Member) => api.removeMember(org.id, member.userId),
    onSuccess: () => {
      setRemoving(null);
      void queryClient.invalidateQueries({ queryKey: ['members', org.id] });
      void queryClient.invalidateQueries({ queryKey: ['tokens', org.id] });
    },
  });

  return (
    <>
      <PageHeader title="Members">
        <p className="muted">People who can sign in to this organization, and their roles.</p>
      </PageHeader>
      {writable && <InviteForm roles={roleOptions} />}
      <p className="sr-only" role="status" aria-live="polite">
        {rowStatus?.text}
      </p>
      {members.isPending ? (
        <Loading label="Loading members…" />
      ) : members.isError ? (
        <ErrorMessage error={members.error} />
      ) : members.data.length === 0 ? (
        <EmptyState title="No members" />
      ) : (
        <div className="table-wrap">
          <table className="table responsive" aria-label="Members">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Role</th>
                <th scope="col">Joined</th>
                <th scope="col">
                  <span className="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {members.data.map((m) => (
                <tr key={m.userId} data-member-email={m.email}>
                  <td data-label="Name">
                    <div className="cell-title">
                      {m.name || <span className="muted">Invited</span>}
                      {m.userId === session.user.id && <span className="badge">you</span>}
                    </div>
                    <div className="cell-sub muted">{m.email}</div>
                  </td>
                  <td data-label="Role">
                    {writable ? (
                      <>
                        <RoleChooser
                          member={m}
                          roles={roleOptions}
                          disabled={changeRole.isPending}
                          onChoose={(roleId) => {
                            changeRole.reset();
                            setChanging({ member: m, roleId });
                          }}
                        />
                        {rowStatus?.userId === m.userId && rowStatus.error ? (
                          <ErrorMessage error={rowStatus.error} />
                        ) : null}
                        {rowStatus?.userId === m.userId && rowStatus.text ? (
                          <p className="success-text">Role updated</p>
                        ) : null}
                      </>
                    ) : (
                      roleName(m.roleId)
                    )}
                  </td>
                  <td data-label="Joined">
                    <Time iso={m.createdAt} />
                  </td>
                  <td className="cell-actions">
                    {writable && (
                      <button
                        type="button"
                        className="button button-small button-danger-ghost"
                        onClick={() => {
                          remove.reset();
                          setRemoving(m);
                        }}
                        aria-label={`Remove ${who(m)}`}
                      >
                        Remove
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {can('members:read') && <PendingInvites roleName={roleName} />}
      <ConfirmDialog
        open={changing !== null}
        onOpenChange={(open) => !open && setChanging(null)}
        title={
          changing ? `Change the role of ${changing.member.name || changing.member.email}?` : 'Change role'
        }
        body={
          changing ? (
            <>
              <strong>{who(changing.member)}</strong> goes from{' '}
              <strong>{roleName(changing.member.roleId)}</strong> to{' '}
              <strong>{roleName(changing.roleId)}</strong>. Their personal tokens never exceed their new role.
            </>
          ) : (
            ''
          )
        }
        confirmLabel="Change role"
        pending={changeRole.isPending}
        error={changeRole.error}
        onConfirm={() => changing && changeRole.mutate(changing)}
      />
      <ConfirmDialog
        open={removing !== null}
        onOpenChange={(open) => !open && setRemoving(null)}
        title={`Remove ${removing?.name || removing?.email || 'member'}?`}
        body="They lose access to this organization, and their personal tokens in it are revoked. Application tokens keep working."
        confirmLabel="Remove member"
        pending={remove.isPending}
        error={remove.error}
        onConfirm={() => removing && remove.mutate(removing)}
      />
    </>
  );
}

/**
 * A member's role as a select that only picks: nothing changes until "Change role…" is pressed and the
 * change confirmed, so an arrow key on the focused select changes nobody's role.
 */
function RoleChooser({
  member,
  roles,
  disabled,
  onChoose,
}: {
  member: Member;
  roles: Pick<Role, 'id' | 'name'>[];
  disabled: boolean;
  onChoose: (roleId: string) => void;
}) {
  const [picked, setPicked] = useState(member.roleId);
  useEffect(() => setPicked(member.roleId), [member.roleId]);
  return (
    <div className="role-chooser">
      <label className="sr-only" htmlFor={`role-${member.userId}`}>
        Role of {who(member)}
      </label>
      <select id={`role-${member.userId}`} value={picked} onChange={(e) => setPicked(e.target.value)}>
        {roles.map((r) => (
          <option key={r.id} value={r.id}>
            {r.name}
          </option>
        ))}
      </select>
      {picked !== member.roleId && (
        <>
          <button
            type="button"
            className="button button-small"
            disabled={disabled}
            onClick={() => onChoose(picked)}
            aria-label={`Change the role of ${who(member)}…`}
          >
            Change role…
          </button>
          <button
            type="button"
            className="button button-small button-ghost"
            onClick={() => setPicked(member.roleId)}
            aria-label={`Keep the role of ${who(member)}`}
          >
            Keep
          </button>
        </>
      )}
    </div>
  );
}

function InviteForm({ roles }: { roles: Pick<Role, 'id' | 'name'>[] }) {
  const { org } = useOrg();
  const queryClient = useQueryClient();
  const [answer, setAnswer] = useState<{ email: string; result: AddedMember } | null>(null);
  const { register, handleSubmit, formState, reset } = useForm<{ email: string; roleId: string }>({
    defaultValues: { email: '', roleId: 'rol_readonly' },
  });
  const invite = useMutation({
    mutationFn: (values: { email: string; roleId: string }) => api.addMember(org.id, values),
    onSuccess: (result, values) => {
      setAnswer({ email: values.email, result });
      reset({ email: '', roleId: values.roleId });
      void queryClient.invalidateQueries({ queryKey: ['members', org.id] });
      void queryClient.invalidateQueries({ queryKey: ['invites', org.id] });
    },
  });
  return (
    <section className="card section" aria-labelledby="invite-title">
      <h2 id="invite-title">Invite a member</h2>
      <form
        className="inline-form"
        onSubmit={handleSubmit((values) => invite.mutate({ ...values, email: values.email.trim() }))}
        noValidate
      >
        <div className="field">
          <label htmlFor="invite-email">E-mail</label>
          <input
            id="invite-email"
            type="email"
            autoComplete="off"
            aria-invalid={formState.errors.email ? true : undefined}
            {...register('email', {
              required: 'Enter the e-mail address to invite.',
              pattern: { value: /^[^\s@]+@[^\s@]+$/, message: 'Enter a valid e-mail address.' },
            })}
          />
          {formState.errors.email && <p className="field-error">{formState.errors.email.message}</p>}
        </div>
        <div className="field">
          <label htmlFor="invite-role">Role</label>
          <select id="invite-role" {...register('roleId')}>
            {roles.map((r) => (
              <option key={r.id} value={r.id}>
                {r.name}
              </option>
            ))}
          </select>
        </div>
        <button type="submit" className="button button-primary" disabled={invite.isPending}>
          {invite.isPending ? 'Inviting…' : 'Invite'}
        </button>
      </form>
      <ErrorMessage error={invite.error} />
      {answer && (
        <div className="alert alert-success" role="status">
          {'inviteUrl' in answer.result ? (
            <>
              <p>
                Invitation for <strong>{answer.email}</strong> created.{' '}
                {answer.result.delivery.email === 'outbox' ? (
                  <>
                    No mail server is set up: the invitation mail was saved to the{' '}
                    <Link href={orgPath(org.id, 'outbox')}>Outbox</Link>, not sent.
                  </>
                ) : (
                  'The invitation mail is on its way.'
                )}{' '}
                {answer.result.existingAccount
                  ? 'They already have an account: they join once they accept it, signed in (the invitation also waits on their Account page).'
                  : ''}{' '}
                They appear among the members once they accept. You can also share this link; it works once
                {`, until ${absoluteTime(answer.result.expiresAt)}`}:
              </p>
              <div className="reveal-row">
                <input
                  className="mono reveal-value"
                  readOnly
                  value={answer.result.inviteUrl}
                  aria-label="Invitation link"
                />
                <CopyButton text={answer.result.inviteUrl} label="Copy link" />
              </div>
            </>
          ) : (
            <p>
              <strong>{answer.email}</strong> already had an account and was added.
            </p>
          )}
        </div>
      )}
    </section>
  );
}

function PendingInvites({ roleName }: { roleName: (id: string) => string }) {
  const { org, can } = useOrg();
  const queryClient = useQueryClient();
  const invites = useQuery({ queryKey: ['invites', org.id], queryFn: () => api.invites(org.id) });
  const [cancelling, setCancelling] = useState<Invite | null>(null);
  // "Send a new link": the old link stops working, the new one is mailed again and shown here.
  const resend = useMutation({
    mutationFn: (invite: Invite) => accountApi.resendInvite(org.id, invite.id),
    onSuccess: () => void queryClient.invalidateQueries({ queryKey: ['invites', org.id] }),
  });
  const cancel = useMutation({
    mutationFn: (invite: Invite) => api.cancelInvite(org.id, invite.id),
    onSuccess: () => {
      setCancelling(null);
      void queryClient.invalidateQueries({ queryKey: ['invites', org.id] });
    },
  });
  // A server without the invitations list answers 404: leave the section out rather than show an error.
  if (invites.isError && invites.error instanceof LatchkeyError && invites.error.status === 404) return null;
  if (invites.isSuccess && invites.data.length === 0) return null;
  return (
    <section className="section pending" aria-labelledby="pending-title">
      <h2 id="pending-title">Pending invitations</h2>
      {invites.isPending ? (
        <Loading />
      ) : invites.isError ? (
        <ErrorMessage error={invites.error} />
      ) : (
        <div className="table-wrap">
          <table className="table responsive" aria-label="Pending invitations">
            <thead>
              <tr>
                <th scope="col">E-mail</th>
                <th scope="col">Role</th>
                <th scope="col">Invited</th>
                <th scope="col">Link expires</th>
                <th scope="col">
                  <span className="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {invites.data.map((invite) => (
                <tr key={invite.id}>
                  <td data-label="E-mail" className="cell-title">
                    {invite.email}
                  </td>
                  <td data-label="Role">{roleName(invite.roleId)}</td>
                  <td data-label="Invited">
                    <Time iso={invite.createdAt} />
                  </td>
                  <td data-label="Link expires">
                    <Time iso={invite.expiresAt} />
                  </td>
                  <td className="cell-actions">
                    {can('members:write') && (
                      <button
                        type="button"
                        className="button button-small"
                        aria-label={`Send a new link to ${invite.email}`}
                        disabled={resend.isPending}
                        onClick={() => resend.mutate(invite)}
                      >
                        Send a new link
                      </button>
                    )}
                    {can('members:write') && (
                      <button
                        type="button"
                        className="button button-small button-danger-ghost"
                        aria-label={`Cancel the invitation for ${invite.email}`}
                        onClick={() => {
                          cancel.reset();
                          setCancelling(invite);
                        }}
                      >
                        Cancel
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <ErrorMessage error={resend.error} />
      {resend.data && (
        <div className="alert alert-success" role="status">
          <p>
            A new link for <strong>{resend.data.email}</strong>{' '}
            {resend.data.delivery.email === 'outbox'
              ? 'was saved to the Outbox (no mail server is set up)'
              : 'is on its way'}
            ; the old link no longer works. It works once, until {absoluteTime(resend.data.expiresAt)}:
          </p>
          <div className="reveal-row">
            <input
              className="mono reveal-value"
              readOnly
              value={resend.data.inviteUrl}
              aria-label="New invitation link"
            />
            <CopyButton text={resend.data.inviteUrl} label="Copy link" />
          </div>
        </div>
      )}
      <ConfirmDialog
        open={cancelling !== null}
        onOpenChange={(open) => !open && setCancelling(null)}
        title={`Cancel the invitation for ${cancelling?.email ?? ''}?`}
        body="The invitation link stops working. You can invite them again later."
        confirmLabel="Cancel invitation"
        pending={cancel.isPending}
        error={cancel.error}
        onConfirm={() => cancelling && cancel.mutate(cancelling)}
      />
    </section>
  );
}
