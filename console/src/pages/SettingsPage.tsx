import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { Controller, useForm } from 'react-hook-form';
import { Checkbox, ErrorMessage, Loading, PageHeader } from '../components/ui';
import { api } from '../lib/api';
import { useServerFieldErrors } from '../lib/field-errors';
import { sessionKey, useOrg, useOrgDetails } from '../lib/session';

interface SettingsForm {
  name: string;
  maxTtlDays: string;
  allowNoExpiry: boolean;
  notifyUnused: boolean;
}

export function SettingsPage() {
  const { org, can } = useOrg();
  // The server lets a signed-in person change the org and its policy only with both of these.
  const allowed = can('members:write') && can('roles:write');
  const queryClient = useQueryClient();
  const details = useOrgDetails(org.id);
  const [saved, setSaved] = useState(false);
  const form = useForm<SettingsForm>({
    defaultValues: { name: org.name, maxTtlDays: '365', allowNoExpiry: false, notifyUnused: false },
  });
  const { register, handleSubmit, control, formState, reset } = form;
  useEffect(() => {
    if (details.data) {
      reset({
        name: details.data.name,
        maxTtlDays: String(details.data.policy.maxTtlDays),
        allowNoExpiry: details.data.policy.allowNoExpiry,
        notifyUnused: details.data.policy.notifyUnused ?? false,
      });
    }
  }, [details.data, reset]);
  const save = useMutation({
    mutationFn: (values: SettingsForm) =>
      api.updateOrg(org.id, {
        name: values.name.trim(),
        policy: {
          maxTtlDays: Number(values.maxTtlDays),
          allowNoExpiry: values.allowNoExpiry,
          notifyUnused: values.notifyUnused,
        },
      }),
    onSuccess: (updated) => {
      setSaved(true);
      if (updated) queryClient.setQueryData(['org', org.id], updated);
      void queryClient.invalidateQueries({ queryKey: ['org', org.id] });
      void queryClient.invalidateQueries({ queryKey: sessionKey });
    },
  });
  // The server's refusals go on their fields; editing a field clears the request's error.
  const banner = useServerFieldErrors(form, save, {
    name: 'name',
    'policy.maxTtlDays': 'maxTtlDays',
    'policy.allowNoExpiry': 'allowNoExpiry',
    'policy.notifyUnused': 'notifyUnused',
  });

  return (
    <>
      <PageHeader title="Organization settings">
        <p className="muted">
          Organization id <code>{org.id}</code>
        </p>
      </PageHeader>
      {details.isPending ? (
        <Loading />
      ) : details.isError ? (
        <ErrorMessage error={details.error} />
      ) : (
        <form
          className="card section settings-form"
          onSubmit={handleSubmit((values) => {
            setSaved(false);
            save.mutate(values);
          })}
          noValidate
        >
          {!allowed && (
            <p className="alert alert-warning" id="settings-readonly">
              Read only: changing the organization and its token policy needs the members:write and
              roles:write permissions.
            </p>
          )}
          <fieldset
            disabled={!allowed}
            aria-describedby={allowed ? undefined : 'settings-readonly'}
            className="plain"
          >
            <div className="field">
              <label htmlFor="org-name">Name</label>
              <input
                id="org-name"
                aria-invalid={formState.errors.name ? true : undefined}
                {...register('name', {
                  validate: (v) => v.trim().length > 0 || 'The organization needs a name.',
                })}
              />
              {formState.errors.name && (
                <p className="field-error" id="org-name-error">
                  {formState.errors.name.message}
                </p>
              )}
            </div>
            <fieldset className="field">
              <legend>Token policy</legend>
              <div className="field">
                <label htmlFor="org-max-ttl">Longest token lifetime (days)</label>
                <input
                  id="org-max-ttl"
                  inputMode="numeric"
                  aria-describedby={formState.errors.maxTtlDays ? 'org-max-ttl-error' : 'org-max-ttl-hint'}
                  aria-invalid={formState.errors.maxTtlDays ? true : undefined}
                  {...register('maxTtlDays', {
                    validate: (v) =>
                      /^[1-9]\d*$/.test(v.trim()) || 'Enter a whole number of days, 1 or more.',
                  })}
                />
                <p className="hint" id="org-max-ttl-hint">
                  New tokens cannot be created with a later expiry. Existing tokens keep theirs.
                </p>
                {formState.errors.maxTtlDays && (
                  <p className="field-error" id="org-max-ttl-error">
                    {formState.errors.maxTtlDays.message}
                  </p>
                )}
              </div>
              <Controller
                control={control}
                name="allowNoExpiry"
                render={({ field }) => (
                  <Checkbox
                    id="org-allow-no-expiry"
                    checked={field.value}
                    onCheckedChange={field.onChange}
                    label="Allow tokens that never expire"
                    hint="Off by default: a token without an expiry is a standing risk if it leaks."
                  />
                )}
              />
            </fieldset>
            <fieldset className="field">
              <legend>Notifications</legend>
              <Controller
                control={control}
                name="notifyUnused"
                render={({ field }) => (
                  <Checkbox
                    id="org-notify-unused"
                    checked={field.value}
                    onCheckedChange={field.onChange}
                    label="E-mail owners about tokens unused for 90 days"
                    hint="Each owner (for an application token, its creator) gets one mail per unused token, so they can revoke what nobody needs. Expiry and leak notices are always sent."
                  />
                )}
              />
            </fieldset>
          </fieldset>
          <ErrorMessage error={banner} />
          <div className="form-footer">
            <button type="submit" className="button button-primary" disabled={save.isPending || !allowed}>
              {save.isPending ? 'Saving…' : 'Save settings'}
            </button>
            <span className="success-text" role="status" aria-live="polite">
              {saved ? 'Saved.' : ''}
            </span>
          </div>
        </form>
      )}
    </>
  );
}
