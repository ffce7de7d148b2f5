import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useEffect, useRef } from 'react';
import { Controller, useForm } from 'react-hook-form';
import { Checkbox, Dialog, ErrorMessage, Loading } from '../components/ui';
import { defaultLifetime } from '../lib/access';
import { api } from '../lib/api';
import { type CreateTokenValues, daysUntil, expiryOf, toCreateTokenBody } from '../lib/create-token';
import { fieldProblems, useServerFieldErrors } from '../lib/field-errors';
import { absoluteTime, longDate } from '../lib/format';
import { renewedLifetime, renewedSettings } from '../lib/renew';
import { useCatalog, useOrg, useOrgDetails } from '../lib/session';
import type { CreateTokenBody, IssuedToken, OrgPolicy, TokenInfo } from '../lib/types';
import { AccessSection } from './token-form/AccessSection';
import { asGrantForm } from './token-form/form';
import { KindSection } from './token-form/KindSection';
import { LifetimeSection } from './token-form/LifetimeSection';
import { LimitsSection } from './token-form/LimitsSection';
import { NameFields } from './token-form/NameFields';
import { ResourcesSection } from './token-form/ResourcesSection';

const DEFAULT_POLICY: OrgPolicy = { maxTtlDays: 365, allowNoExpiry: false };

/** Where the server's field names land in this form. */
const SERVER_FIELDS: Partial<Record<string, keyof CreateTokenValues>> = {
  name: 'name',
  description: 'description',
  permissions: 'permissions',
  roleId: 'roleId',
  resourceIds: 'resourceIds',
  allowedIps: 'allowedIps',
  rateLimit: 'rateLimit',
  'rateLimit.limit': 'rateLimit',
  'rateLimit.windowSeconds': 'rateWindow',
  expiresAt: 'customDate',
  expiresIn: 'lifetime',
};

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
      // Typing starts in the name field, not on the close button.
      onOpenAutoFocus={(event) => {
        const name = document.getElementById('token-name');
        if (name) {
          event.preventDefault();
          name.focus();
        }
      }}
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
  const policy = details.data?.policy ?? DEFAULT_POLICY;
  const errorRef = useRef<HTMLDivElement>(null);

  const renewed = template ? renewedSettings(template, can('tokens:write')) : null;
  const form = useForm<CreateTokenValues>({
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
  const { handleSubmit, control, watch, setValue, setFocus, formState } = form;
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

  // The name field appears once the catalog is loaded: focus it then.
  const ready = catalog.isSuccess;
  useEffect(() => {
    if (ready) setFocus('name');
  }, [ready, setFocus]);

  const create = useMutation({
    mutationFn: (body: CreateTokenBody) => api.createToken(org.id, body),
    onSuccess: (issued) => {
      void queryClient.invalidateQueries({ queryKey: ['tokens', org.id] });
      void queryClient.invalidateQueries({ queryKey: ['audit', org.id] });
      onCreated(issued);
    },
    onError: () => {
      window.setTimeout(() => errorRef.current?.scrollIntoView({ block: 'nearest' }), 0);
    },
  });
  const banner = useServerFieldErrors(form, create, SERVER_FIELDS, 'name');

  // The policy's "at most N days" refusal names no field: say which date was asked for next to it.
  const asked = expiryOf({ lifetime: watch('lifetime'), customDate: watch('customDate') }, new Date());
  const policyRefusal =
    banner !== null &&
    fieldProblems(banner).length === 0 &&
    banner instanceof Error &&
    /at most \d+ days/.test(banner.message) &&
    asked instanceof Date;

  const submit = handleSubmit((values) => create.mutate(toCreateTokenBody(values)));

  if (catalog.isPending) return <Loading label="Loading the permission catalog…" />;
  if (catalog.isError) return <ErrorMessage error={catalog.error} />;

  const grants = asGrantForm(form);
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
        <NameFields form={grants} idPrefix="token" />
        <LifetimeSection form={form} policy={policy} />
        <AccessSection form={grants} catalog={catalog.data} kind={watch('kind')} idPrefix="token" />
        <ResourcesSection form={grants} idPrefix="token" />
        <KindSection form={form} />
        <LimitsSection
          form={grants}
          idPrefix="token"
          // Pre-filled settings stay in view: a renewed token's allowlist and rate limit are not hidden.
          open={renewed !== null && (renewed.allowedIps !== '' || renewed.rateLimit !== '')}
        />
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
          <ErrorMessage error={banner} />
          {policyRefusal && asked instanceof Date && (
            <p className="field-error">
              You asked for {longDate(asked)}, {daysUntil(asked, new Date())} days away.
            </p>
          )}
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
