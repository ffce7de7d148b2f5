import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useEffect, useMemo, useRef } from 'react';
import { Controller, useForm } from 'react-hook-form';
import { PermissionPicker } from '../components/PermissionPicker';
import { Checkbox, Dialog, ErrorMessage, Loading } from '../components/ui';
import { defaultLifetime, LIFETIMES, roleExcess } from '../lib/access';
import { ApiError, api } from '../lib/api';
import { absoluteTime, addDays, isoDay, longDate } from '../lib/format';
import { type RenewedSettings, renewedLifetime, renewedSettings } from '../lib/renew';
import { useCatalog, useOrg, useOrgDetails, useResources, useRoles } from '../lib/session';
import type { CreateTokenBody, IssuedToken, OrgPolicy, TokenInfo } from '../lib/types';
import { checkIpList, splitList } from '../lib/validation';

interface FormValues extends RenewedSettings {
  lifetime: string;
  customDate: string;
  deliverEmail: boolean;
}

const DEFAULT_POLICY: OrgPolicy = { maxTtlDays: 365, allowNoExpiry: false };

export function CreateTokenDialog({
  open,
  onOpenChange,
  onCreated,
  presetResourceId,
  template,
}: {
  open: boolean;
  onOpenChange: (open: boolean) => void;
  onCreated: (issued: IssuedToken) => void;
  presetResourceId?: string;
  /** An existing token whose settings pre-fill the form (the expiry mail's "create a replacement" link). */
  template?: TokenInfo;
}) {
  return (
    <Dialog
      open={open}
      onOpenChange={onOpenChange}
      title="Create token"
      description="A token lets an application call APIs protected by Latchkey on your behalf or your organization's."
      wide
    >
      {open && (
        <CreateTokenForm
          onCancel={() => onOpenChange(false)}
          onCreated={onCreated}
          presetResourceId={presetResourceId}
          template={template}
        />
      )}
    </Dialog>
  );
}

function CreateTokenForm({
  onCancel,
  onCreated,
  presetResourceId,
  template,
}: {
  onCancel: () => void;
  onCreated: (issued: IssuedToken) => void;
  presetResourceId?: string;
  template?: TokenInfo;
}) {
  const { org, session, can } = useOrg();
  const queryClient = useQueryClient();
  const catalog = useCatalog();
  const details = useOrgDetails(org.id);
  const roles = useRoles(org.id, can('roles:read'));
  const resources = useResources(org.id, can('resources:read'));
  const policy = details.data?.policy ?? DEFAULT_POLICY;
  const held = org.permissions;
  const heldSet = useMemo(() => new Set(held), [held]);
  const errorRef = useRef<HTMLDivElement>(null);

  const renewed = template ? renewedSettings(template, can('tokens:write')) : null;
  const { register, handleSubmit, control, watch, setValue, setError, formState } = useForm<FormValues>({
    defaultValues: {
      name: '',
      description: '',
      kind: 'personal',
      lifetime: defaultLifetime(DEFAULT_POLICY.maxTtlDays),
      customDate: '',
      access: 'granular',
      permissions: [],
      roleId: '',
      resourceMode: presetResourceId ? 'some' : 'all',
      resourceIds: presetResourceId ? [presetResourceId] : [],
      allowedIps: '',
      rateLimit: '',
      rateWindow: '60',
      deliverEmail: false,
      ...renewed,
    },
  });
  const { errors } = formState;

  // Once the org's policy is known, make sure the preset lifetime is one it allows.
  // A form pre-filled from a token keeps that token's lifetime length, within the policy.
  useEffect(() => {
    if (!details.data) return;
    if (template) {
      const same = renewedLifetime(template, details.data.policy);
      setValue('lifetime', same.lifetime);
      setValue('customDate', same.customDate);
    } else {
      setValue('lifetime', defaultLifetime(details.data.policy.maxTtlDays));
    }
  }, [details.data, setValue, template]);

  const kind = watch('kind');
  const lifetime = watch('lifetime');
  const customDate = watch('customDate');
  const access = watch('access');
  const resourceMode = watch('resourceMode');
  const missingAny = (catalog.data ?? []).some((p) => !heldSet.has(p.key));

  const create = useMutation({
    mutationFn: (body: CreateTokenBody) => api.createToken(org.id, body),
    onSuccess: (issued) => {
      void queryClient.invalidateQueries({ queryKey: ['tokens', org.id] });
      void queryClient.invalidateQueries({ queryKey: ['audit', org.id] });
      onCreated(issued);
    },
    onError: (error) => {
      if (error instanceof ApiError && error.code === 'CONFLICT') {
        setError('name', { message: error.message || 'You already have an active token with this name.' });
      }
      window.setTimeout(() => errorRef.current?.scrollIntoView({ block: 'nearest' }), 0);
    },
  });

  const today = new Date();
  const maxDay = isoDay(addDays(today, policy.maxTtlDays));
  const minDay = isoDay(addDays(today, 1));
  const preset = LIFETIMES.find((l) => l.value === lifetime);
  let expiryText: string;
  if (preset) expiryText = `Expires on ${longDate(addDays(today, preset.days))}.`;
  else if (lifetime === 'never') expiryText = 'Never expires. Revoke it when it is no longer needed.';
  else if (customDate) expiryText = `Expires on ${longDate(new Date(`${customDate}T${timeOfDay(today)}`))}.`;
  else expiryText = 'Pick a date.';

  const submit = handleSubmit((values) => {
    const body: CreateTokenBody = {
      name: values.name.trim(),
      kind: values.kind,
      access: values.access === 'full' ? 'full' : 'granular',
    };
    if (values.description.trim()) body.description = values.description.trim();
    if (values.access === 'granular') body.permissions = values.permissions;
    if (values.access === 'role') body.roleId = values.roleId;
    body.resourceIds = values.resourceMode === 'all' ? null : values.resourceIds;
    const preset = LIFETIMES.find((l) => l.value === values.lifetime);
    if (preset) body.expiresIn = `${preset.days}d`;
    else if (values.lifetime === 'never') body.expiresAt = null;
    else body.expiresAt = new Date(`${values.customDate}T${timeOfDay(new Date())}`).toISOString();
    const ips = splitList(values.allowedIps);
    if (ips.length > 0) body.allowedIps = ips;
    if (values.rateLimit.trim()) {
      body.rateLimit = { limit: Number(values.rateLimit), windowSeconds: Number(values.rateWindow) };
    }
    if (values.deliverEmail) body.deliver = { email: true };
    create.mutate(body);
  });

  if (catalog.isPending) return <Loading label="Loading the permission catalog…" />;
  if (catalog.isError) return <ErrorMessage error={catalog.error} />;

  return (
    <form onSubmit={submit} noValidate className="token-form" aria-label="Create token">
      <div className="form-scroll">
        {template && (
          <p className="alert alert-success" id="token-template">
            Pre-filled from “{template.name}” (<code>{template.hint}</code>
            {template.expiresAt ? `, expires ${absoluteTime(template.expiresAt)}` : ''}) with the same
            settings and lifetime length. Check them and create the new token; revoke the old one once its
            users have switched.
          </p>
        )}
        <div className="field">
          <label htmlFor="token-name">Name</label>
          <input
            id="token-name"
            autoComplete="off"
            placeholder="e.g. ci-deploy, indexer-testnet"
            aria-invalid={errors.name ? true : undefined}
            aria-describedby={errors.name ? 'token-name-error' : 'token-name-hint'}
            {...register('name', {
              validate: (value) => {
                const v = value.trim();
                if (!v) return 'Give the token a name, so you can recognise it later.';
                if (v.length > 100)
                  return `The name is ${v.length} characters long; at most 100 are allowed.`;
                return true;
              },
            })}
          />
          {errors.name ? (
            <p className="field-error" id="token-name-error">
              {errors.name.message}
            </p>
          ) : (
            <p className="hint" id="token-name-hint">
              Unique among your active tokens, up to 100 characters.
            </p>
          )}
        </div>
        <div className="field">
          <label htmlFor="token-description">
            Description <span className="muted">(optional)</span>
          </label>
          <input id="token-description" autoComplete="off" {...register('description', { maxLength: 500 })} />
        </div>

        <fieldset className="field">
          <legend>Lifetime</legend>
          <div className="segmented" role="radiogroup" aria-label="Lifetime">
            {LIFETIMES.map((l) => {
              const tooLong = l.days > policy.maxTtlDays;
              return (
                <label
                  key={l.value}
                  className={tooLong ? 'segment disabled' : 'segment'}
                  title={
                    tooLong
                      ? `Longer than this organization's maximum of ${policy.maxTtlDays} days`
                      : undefined
                  }
                >
                  <input type="radio" value={l.value} disabled={tooLong} {...register('lifetime')} />
                  <span>{l.label}</span>
                </label>
              );
            })}
            <label className="segment">
              <input type="radio" value="custom" {...register('lifetime')} />
              <span>Custom date</span>
            </label>
            <label
              className={policy.allowNoExpiry ? 'segment' : 'segment disabled'}
              title={policy.allowNoExpiry ? undefined : 'This organization requires every token to expire'}
            >
              <input type="radio" value="never" disabled={!policy.allowNoExpiry} {...register('lifetime')} />
              <span>No expiry</span>
            </label>
          </div>
          {lifetime === 'custom' && (
            <div className="field inline-field">
              <label htmlFor="token-custom-date">Expiry date</label>
              <input
                id="token-custom-date"
                type="date"
                min={minDay}
                max={maxDay}
                aria-invalid={errors.customDate ? true : undefined}
                {...register('customDate', {
                  validate: (value, all) => {
                    if (all.lifetime !== 'custom') return true;
                    if (!value) return 'Pick the day the token expires.';
                    if (value < minDay) return 'The expiry date must be in the future.';
                    if (value > maxDay)
                      return `This organization allows at most ${policy.maxTtlDays} days (until ${maxDay}).`;
                    return true;
                  },
                })}
              />
            </div>
          )}
          {errors.customDate && <p className="field-error">{errors.customDate.message}</p>}
          <p className="hint" aria-live="polite">
            {lifetime === 'custom' && !customDate ? 'Pick a date.' : expiryText}
            {LIFETIMES.some((l) => l.days > policy.maxTtlDays) &&
              ` Longer lifetimes exceed this organization's maximum of ${policy.maxTtlDays} days.`}
            {!policy.allowNoExpiry && ' “No expiry” is turned off by the organization’s token policy.'}
          </p>
        </fieldset>

        <fieldset className="field">
          <legend>Access</legend>
          <div className="choice-list">
            <label className="choice">
              <input type="radio" value="granular" {...register('access')} />
              <span>
                <strong>Granular</strong>
                <span className="hint">Pick permissions from the catalog.</span>
              </span>
            </label>
            <label className={kind === 'application' && missingAny ? 'choice disabled' : 'choice'}>
              <input
                type="radio"
                value="full"
                disabled={kind === 'application' && missingAny}
                {...register('access')}
              />
              <span>
                <strong>Full access</strong>
                <span className="hint">
                  {kind === 'application' && missingAny
                    ? 'Unavailable: an application token cannot exceed you, and your role does not hold every permission.'
                    : 'Every permission your role allows, now and after the catalog grows.'}
                </span>
              </span>
            </label>
            <label className={can('roles:read') ? 'choice' : 'choice disabled'}>
              <input type="radio" value="role" disabled={!can('roles:read')} {...register('access')} />
              <span>
                <strong>A role</strong>
                <span className="hint">
                  {can('roles:read')
                    ? 'The token follows the role: editing the role changes the token.'
                    : 'Unavailable: listing roles needs the roles:read permission.'}
                </span>
              </span>
            </label>
          </div>

          {access === 'granular' && (
            <Controller
              control={control}
              name="permissions"
              rules={{
                validate: (value) =>
                  value.length > 0 || 'Pick at least one permission, or choose Full access.',
              }}
              render={({ field }) => (
                <>
                  <PermissionPicker
                    catalog={catalog.data}
                    value={field.value}
                    onChange={field.onChange}
                    held={heldSet}
                    idPrefix="perm"
                    errorId={errors.permissions ? 'perm-error' : undefined}
                  />
                  {errors.permissions && (
                    <p className="field-error" id="perm-error">
                      {errors.permissions.message}
                    </p>
                  )}
                </>
              )}
            />
          )}

          {access === 'role' && (
            <div className="field inline-field">
              <label htmlFor="token-role">Role</label>
              {roles.isPending ? (
                <Loading />
              ) : roles.isError ? (
                <ErrorMessage error={roles.error} />
              ) : (
                <select
                  id="token-role"
                  aria-invalid={errors.roleId ? true : undefined}
                  {...register('roleId', {
                    validate: (v, all) => all.access !== 'role' || v !== '' || 'Pick a role.',
                  })}
                >
                  <option value="">Choose a role…</option>
                  {roles.data.map((role) => {
                    const excess = roleExcess(role, held);
                    return (
                      <option key={role.id} value={role.id} disabled={excess.length > 0}>
                        {role.name}
                        {excess.length > 0
                          ? ` — unavailable: includes ${excess.join(', ')}, which your role lacks`
                          : ''}
                      </option>
                    );
                  })}
                </select>
              )}
              {errors.roleId && <p className="field-error">{errors.roleId.message}</p>}
            </div>
          )}
        </fieldset>

        <fieldset className="field">
          <legend>Resources</legend>
          <div className="choice-list">
            <label className="choice">
              <input type="radio" value="all" {...register('resourceMode')} />
              <span>
                <strong>All resources</strong>
                <span className="hint">Including ones added later.</span>
              </span>
            </label>
            <label className={can('resources:read') ? 'choice' : 'choice disabled'}>
              <input
                type="radio"
                value="some"
                disabled={!can('resources:read')}
                {...register('resourceMode')}
              />
              <span>
                <strong>Only selected resources</strong>
                <span className="hint">
                  {can('resources:read')
                    ? 'Limit the token to particular shards or databases.'
                    : 'Unavailable: listing resources needs the resources:read permission.'}
                </span>
              </span>
            </label>
          </div>
          {resourceMode === 'some' && (
            <Controller
              control={control}
              name="resourceIds"
              rules={{
                validate: (value, all) =>
                  all.resourceMode !== 'some' || value.length > 0 || 'Pick at least one resource.',
              }}
              render={({ field }) =>
                resources.isPending ? (
                  <Loading />
                ) : resources.isError ? (
                  <ErrorMessage error={resources.error} />
                ) : resources.data.length === 0 ? (
                  <p className="hint">
                    This organization has no resources yet. Add them on the Resources page.
                  </p>
                ) : (
                  <div className="resource-picks">
                    {resources.data.map((r) => (
                      <Checkbox
                        key={r.id}
                        id={`res-${r.id}`}
                        checked={field.value.includes(r.id)}
                        onCheckedChange={(on) =>
                          field.onChange(
                            on ? [...field.value, r.id] : field.value.filter((id) => id !== r.id),
                          )
                        }
                        label={
                          <>
                            {r.name} <span className="badge">{r.type}</span>
                          </>
                        }
                      />
                    ))}
                  </div>
                )
              }
            />
          )}
          {errors.resourceIds && <p className="field-error">{errors.resourceIds.message}</p>}
        </fieldset>

        <fieldset className="field">
          <legend>Kind</legend>
          <div className="choice-list">
            <label className="choice">
              <input type="radio" value="personal" {...register('kind')} />
              <span>
                <strong>Personal</strong>
                <span className="hint">
                  Yours: it never exceeds your own permissions and stops if you leave.
                </span>
              </span>
            </label>
            <label className={can('tokens:write') ? 'choice' : 'choice disabled'}>
              <input type="radio" value="application" disabled={!can('tokens:write')} {...register('kind')} />
              <span>
                <strong>Application</strong>
                <span className="hint">
                  {can('tokens:write')
                    ? 'Owned by the organization; keeps working if you leave.'
                    : 'Unavailable: application tokens need the tokens:write permission.'}
                </span>
              </span>
            </label>
          </div>
        </fieldset>

        <details
          className="advanced"
          // Pre-filled settings stay in view: a renewed token's allowlist and rate limit are not hidden.
          open={
            renewed !== null && (renewed.allowedIps !== '' || renewed.rateLimit !== '') ? true : undefined
          }
        >
          <summary>Advanced: IP allowlist and rate limit</summary>
          <div className="field">
            <label htmlFor="token-ips">Allowed IP addresses</label>
            <textarea
              id="token-ips"
              rows={3}
              placeholder={'203.0.113.0/24\n2001:db8::/32'}
              aria-invalid={errors.allowedIps ? true : undefined}
              aria-describedby="token-ips-hint"
              {...register('allowedIps', { validate: (v) => checkIpList(v) ?? true })}
            />
            <p className="hint" id="token-ips-hint">
              Addresses or CIDR blocks, one per line. Empty: any address.
            </p>
            {errors.allowedIps && <p className="field-error">{errors.allowedIps.message}</p>}
          </div>
          <div className="field-row">
            <div className="field">
              <label htmlFor="token-rate">Rate limit (requests)</label>
              <input
                id="token-rate"
                inputMode="numeric"
                placeholder="none"
                aria-invalid={errors.rateLimit ? true : undefined}
                {...register('rateLimit', {
                  validate: (v) =>
                    v.trim() === '' ||
                    /^[1-9]\d*$/.test(v.trim()) ||
                    'The rate limit is a whole number of requests, 1 or more.',
                })}
              />
            </div>
            <div className="field">
              <label htmlFor="token-window">per (seconds)</label>
              <input
                id="token-window"
                inputMode="numeric"
                aria-invalid={errors.rateWindow ? true : undefined}
                {...register('rateWindow', {
                  validate: (v, all) =>
                    all.rateLimit.trim() === '' ||
                    /^[1-9]\d*$/.test(v.trim()) ||
                    'The window is a whole number of seconds, 1 or more.',
                })}
              />
            </div>
          </div>
          {errors.rateLimit && <p className="field-error">{errors.rateLimit.message}</p>}
          {errors.rateWindow && <p className="field-error">{errors.rateWindow.message}</p>}
        </details>

        <Controller
          control={control}
          name="deliverEmail"
          render={({ field }) => (
            <Checkbox
              id="token-deliver"
              checked={field.value}
              onCheckedChange={field.onChange}
              label="E-mail the value to me"
              hint={`Sends the token to ${session.user.email} as well as showing it once.`}
            />
          )}
        />
        <div ref={errorRef}>
          {Object.keys(errors).length > 0 && (
            <p className="field-error" role="alert">
              Check the highlighted fields:{' '}
              {Object.values(errors)
                .map((e) => e?.message)
                .filter(Boolean)
                .join(' ')}
            </p>
          )}
          <ErrorMessage error={create.error} />
        </div>
      </div>
      <div className="dialog-actions sticky-actions">
        <button type="button" className="button" onClick={onCancel}>
          Cancel
        </button>
        <button type="submit" className="button button-primary" disabled={create.isPending}>
          {create.isPending ? 'Creating…' : 'Create token'}
        </button>
      </div>
    </form>
  );
}

function timeOfDay(date: Date): string {
  return `${String(date.getHours()).padStart(2, '0')}:${String(date.getMinutes()).padStart(2, '0')}:00`;
}
