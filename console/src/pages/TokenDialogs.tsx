// The dialogs acting on one token — edit, rotate, revoke, and the one-time reveal of a new value — and the
// hook both token pages use to open them, so their state lives in one place.
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type ReactNode, useCallback, useEffect, useState } from 'react';
import { useForm } from 'react-hook-form';
import { ConfirmDialog, Dialog, ErrorMessage, Loading, Toast } from '../components/ui';
import { api, LatchkeyError } from '../lib/api';
import { type EditTokenValues, editableSettings, toPatchTokenBody } from '../lib/edit-token';
import { useServerFieldErrors } from '../lib/field-errors';
import { absoluteTime, addDays, isoDay, longDate } from '../lib/format';
import { setSearch, useLocation } from '../lib/router';
import { useCatalog, useOrg } from '../lib/session';
import type { IssuedToken, TokenInfo } from '../lib/types';
import { RevealDialog } from './RevealDialog';
import { AccessSection } from './token-form/AccessSection';
import { asGrantForm } from './token-form/form';
import { LimitsSection } from './token-form/LimitsSection';
import { NameFields } from './token-form/NameFields';
import { ResourcesSection } from './token-form/ResourcesSection';

type TokenDialog = { kind: 'edit' | 'rotate' | 'revoke'; token: TokenInfo } | null;

/**
 * Which token dialog is open, the value being revealed, and the last confirmation toast. `element` renders
 * them; `onChanged` runs after any change (to refresh lists).
 */
export function useTokenDialogs(onChanged: () => void = () => {}) {
  const { org, session } = useOrg();
  const queryClient = useQueryClient();
  const [dialog, setDialog] = useState<TokenDialog>(null);
  const [revealed, setRevealed] = useState<{ issued: IssuedToken; rotated: boolean } | null>(null);
  const [toast, setToast] = useState<string | null>(null);
  const close = useCallback(() => setDialog(null), []);
  const dismissToast = useCallback(() => setToast(null), []);
  const changed = (token?: TokenInfo) => {
    void queryClient.invalidateQueries({ queryKey: ['tokens', org.id] });
    void queryClient.invalidateQueries({ queryKey: ['audit', org.id] });
    if (token) queryClient.setQueryData(['token', org.id, token.id], token);
    void queryClient.invalidateQueries({ queryKey: ['token', org.id] });
    onChanged();
  };

  const element: ReactNode = (
    <>
      {dialog?.kind === 'edit' && (
        <EditTokenDialog
          token={dialog.token}
          onClose={close}
          onSaved={(token) => {
            close();
            changed(token);
            setToast(`Saved the changes to “${token.name}”.`);
          }}
        />
      )}
      {dialog?.kind === 'rotate' && (
        <RotateDialog
          token={dialog.token}
          onClose={close}
          onRotated={(issued) => {
            close();
            changed(issued.tokenInfo);
            setRevealed({ issued, rotated: true });
          }}
        />
      )}
      {dialog?.kind === 'revoke' && (
        <RevokeDialog
          token={dialog.token}
          onClose={close}
          onRevoked={(token) => {
            close();
            changed(token);
            setToast(
              `Revoked “${token.name}”${token.revokedReason && token.revokedReason !== 'revoked' ? ` (${token.revokedReason})` : ''}. Applications using it are refused from now on.`,
            );
          }}
        />
      )}
      {revealed && (
        <RevealDialog
          issued={revealed.issued}
          orgId={org.id}
          rotated={revealed.rotated}
          email={session.user.email}
          onClose={() => setRevealed(null)}
        />
      )}
      <Toast message={toast} onDone={dismissToast} />
    </>
  );
  return {
    open: (kind: 'edit' | 'rotate' | 'revoke', token: TokenInfo) => setDialog({ kind, token }),
    reveal: (issued: IssuedToken) => setRevealed({ issued, rotated: false }),
    element,
  };
}

const GRACE = [
  { value: '', label: 'None: the old value stops at once' },
  { value: '1h', label: '1 hour' },
  { value: '24h', label: '24 hours' },
  { value: '7d', label: '7 days' },
];

function RotateDialog({
  token,
  onClose,
  onRotated,
}: {
  token: TokenInfo;
  onClose: () => void;
  onRotated: (issued: IssuedToken) => void;
}) {
  const { org } = useOrg();
  const [grace, setGrace] = useState('');
  const rotate = useMutation({
    mutationFn: () => api.rotateToken(org.id, token.id, grace || undefined),
    onSuccess: onRotated,
  });
  return (
    <ConfirmDialog
      open
      onOpenChange={(open) => !open && onClose()}
      title={`Rotate “${token.name}”?`}
      body="Issues a new value for the same token id, permissions and expiry."
      confirmLabel="Rotate token"
      pendingLabel="Rotating…"
      tone="primary"
      onConfirm={() => rotate.mutate()}
      pending={rotate.isPending}
      error={rotate.error}
    >
      <div className="field">
        <label htmlFor="rotate-grace">Keep the old value working for</label>
        <select id="rotate-grace" value={grace} onChange={(e) => setGrace(e.target.value)}>
          {GRACE.map((g) => (
            <option key={g.value} value={g.value}>
              {g.label}
            </option>
          ))}
        </select>
        <p className="hint">A grace period lets you roll the new value out before the old one stops.</p>
      </div>
    </ConfirmDialog>
  );
}

function RevokeDialog({
  token,
  onClose,
  onRevoked,
}: {
  token: TokenInfo;
  onClose: () => void;
  onRevoked: (token: TokenInfo) => void;
}) {
  const { org } = useOrg();
  const [reason, setReason] = useState('');
  const revoke = useMutation({
    mutationFn: () => api.revokeToken(org.id, token.id, reason.trim() || undefined),
    onSuccess: onRevoked,
  });
  const tooLong = reason.trim().length > 200;
  return (
    <ConfirmDialog
      open
      onOpenChange={(open) => !open && onClose()}
      title={`Revoke “${token.name}”?`}
      body={
        <>
          Applications using <strong>{token.name}</strong> (<code>{token.hint}</code>) stop working on their
          very next request. This cannot be undone.
        </>
      }
      confirmLabel="Revoke token"
      pendingLabel="Revoking…"
      onConfirm={() => revoke.mutate()}
      pending={revoke.isPending}
      confirmDisabled={tooLong}
      error={revoke.error}
    >
      <div className="field">
        <label htmlFor="revoke-reason">
          Reason <span className="muted">(optional, kept with the token and in the audit log)</span>
        </label>
        <input
          id="revoke-reason"
          autoComplete="off"
          placeholder="e.g. leaked in a CI log, no longer used"
          value={reason}
          aria-invalid={tooLong ? true : undefined}
          onChange={(e) => {
            setReason(e.target.value);
            revoke.reset();
          }}
        />
        {tooLong && <p className="field-error">The reason is at most 200 characters.</p>}
      </div>
    </ConfirmDialog>
  );
}

const EDIT_FIELDS: Partial<Record<string, keyof EditTokenValues>> = {
  name: 'name',
  description: 'description',
  permissions: 'permissions',
  roleId: 'roleId',
  resourceIds: 'resourceIds',
  allowedIps: 'allowedIps',
  rateLimit: 'rateLimit',
  'rateLimit.limit': 'rateLimit',
  'rateLimit.windowSeconds': 'rateWindow',
  expiresAt: 'expiresOn',
};

/** Edit a token: name, grants, limits, and an earlier expiry (PATCH; narrowing always, widening within yours). */
function EditTokenDialog({
  token,
  onClose,
  onSaved,
}: {
  token: TokenInfo;
  onClose: () => void;
  onSaved: (token: TokenInfo) => void;
}) {
  return (
    <Dialog
      open
      onOpenChange={(open) => !open && onClose()}
      title={`Edit “${token.name}”`}
      description="Narrowing is always allowed; widening only within the permissions you hold yourself. Applications see the change on their next request."
      wide
      onOpenAutoFocus={(event) => {
        const name = document.getElementById('edit-name');
        if (name) {
          event.preventDefault();
          name.focus();
        }
      }}
    >
      <EditTokenForm token={token} onClose={onClose} onSaved={onSaved} />
    </Dialog>
  );
}

function EditTokenForm({
  token,
  onClose,
  onSaved,
}: {
  token: TokenInfo;
  onClose: () => void;
  onSaved: (token: TokenInfo) => void;
}) {
  const { org } = useOrg();
  const catalog = useCatalog();
  const form = useForm<EditTokenValues>({ defaultValues: editableSettings(token) });
  const [unchanged, setUnchanged] = useState(false);
  const save = useMutation({
    mutationFn: (values: EditTokenValues) =>
      api.updateToken(org.id, token.id, toPatchTokenBody(token, values)),
    onSuccess: onSaved,
  });
  const banner = useServerFieldErrors(form, save, EDIT_FIELDS, 'name');
  const { register, handleSubmit, formState } = form;
  const tomorrow = isoDay(addDays(new Date(), 1));
  const latest = token.expiresAt ? isoDay(addDays(new Date(token.expiresAt), -1)) : undefined;

  if (catalog.isPending) return <Loading label="Loading the permission catalog…" />;
  if (catalog.isError) return <ErrorMessage error={catalog.error} />;
  const grants = asGrantForm(form);
  const missing =
    save.error instanceof LatchkeyError && save.error.code === 'FORBIDDEN'
      ? ((save.error.details as { missing?: unknown } | null)?.missing ?? null)
      : null;
  return (
    <form
      className="token-form"
      aria-label={`Edit ${token.name}`}
      noValidate
      onSubmit={handleSubmit((values) => {
        const body = toPatchTokenBody(token, values);
        if (Object.keys(body).length === 0) {
          setUnchanged(true);
          return;
        }
        setUnchanged(false);
        save.mutate(values);
      })}
    >
      <div className="form-scroll">
        <NameFields form={grants} idPrefix="edit" />
        <AccessSection form={grants} catalog={catalog.data} kind={token.kind} idPrefix="edit" />
        <ResourcesSection form={grants} idPrefix="edit" />
        <LimitsSection
          form={grants}
          idPrefix="edit"
          open={(token.allowedIps?.length ?? 0) > 0 || token.rateLimit !== null}
        />
        <div className="field">
          <label htmlFor="edit-expires">Shorten the lifetime: new expiry date</label>
          <input
            id="edit-expires"
            type="date"
            min={tomorrow}
            max={latest}
            aria-describedby="edit-expires-hint"
            aria-invalid={formState.errors.expiresOn ? true : undefined}
            {...register('expiresOn', {
              validate: (value) => {
                if (!value) return true;
                if (value < tomorrow) return 'Pick a day after today; to stop the token now, revoke it.';
                if (latest !== undefined && value > latest)
                  return `A token's expiry can only move earlier: it expires on ${longDate(new Date(token.expiresAt ?? ''))}.`;
                return true;
              },
            })}
          />
          <p className="hint" id="edit-expires-hint">
            {token.expiresAt
              ? `Expires on ${absoluteTime(token.expiresAt)}. Leave empty to keep it; it can only move earlier.`
              : 'Never expires. Pick a day to make it expire.'}
          </p>
          {formState.errors.expiresOn && <p className="field-error">{formState.errors.expiresOn.message}</p>}
        </div>
        <ErrorMessage error={banner} />
        {Array.isArray(missing) && missing.length > 0 && (
          <p className="field-error">
            You do not hold {missing.join(', ')}, so you cannot give it to this token.
          </p>
        )}
        {unchanged && (
          <p className="hint" role="status">
            Nothing changed.
          </p>
        )}
      </div>
      <div className="dialog-actions sticky-actions">
        <button type="button" className="button" onClick={onClose}>
          Cancel
        </button>
        <button type="submit" className="button button-primary" disabled={save.isPending}>
          {save.isPending ? 'Saving…' : 'Save changes'}
        </button>
      </div>
    </form>
  );
}

/**
 * The create dialog's state: open or not, and the token it renews. `?create=<token id>` (the expiry mail's
 * link) opens it pre-filled with that token's settings; the parameter leaves the address once read.
 */
export function useCreateDialog() {
  const { org } = useOrg();
  const { search } = useLocation();
  const [open, setOpen] = useState(false);
  const createFrom = search.get('create');
  const [renewId, setRenewId] = useState<string | null>(null);
  useEffect(() => {
    if (!createFrom) return;
    setRenewId(createFrom);
    setSearch({ create: undefined });
  }, [createFrom]);
  const renewSource = useQuery({
    queryKey: ['token', org.id, renewId],
    queryFn: () => api.token(org.id, renewId ?? ''),
    enabled: renewId !== null,
    retry: false,
    staleTime: Number.POSITIVE_INFINITY,
  });
  useEffect(() => {
    if (renewId !== null && renewSource.isSuccess) setOpen(true);
  }, [renewId, renewSource.isSuccess]);
  return {
    open,
    renewId,
    renewSource,
    template: renewId !== null ? renewSource.data : undefined,
    openNew: () => {
      setRenewId(null);
      setOpen(true);
    },
    setOpen: (next: boolean) => {
      setOpen(next);
      if (!next) setRenewId(null);
    },
    dismissRenew: () => setRenewId(null),
  };
}

/** A token by id, read fresh (for the per-token page and the details of a row). */
export function useToken(tokenId: string) {
  const { org } = useOrg();
  return useQuery({
    queryKey: ['token', org.id, tokenId],
    queryFn: () => api.token(org.id, tokenId),
    retry: false,
  });
}
