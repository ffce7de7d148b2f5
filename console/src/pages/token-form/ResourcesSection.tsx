import { Controller } from 'react-hook-form';
import { Checkbox, ErrorMessage, Loading } from '../../components/ui';
import { useOrg, useResources } from '../../lib/session';
import type { GrantForm } from './form';

/** Every resource, or chosen ones. */
export function ResourcesSection({ form, idPrefix }: { form: GrantForm; idPrefix: string }) {
  const { org, can } = useOrg();
  const resources = useResources(org.id, can('resources:read'));
  const { register, control, watch, formState } = form;
  const resourceMode = watch('resourceMode');
  return (
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
          <input type="radio" value="some" disabled={!can('resources:read')} {...register('resourceMode')} />
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
              <p className="hint">This organization has no resources yet. Add them on the Resources page.</p>
            ) : (
              <div className="resource-picks">
                {resources.data.map((r) => (
                  <Checkbox
                    key={r.id}
                    id={`${idPrefix === 'token' ? 'res' : `${idPrefix}-res`}-${r.id}`}
                    checked={field.value.includes(r.id)}
                    onCheckedChange={(on) =>
                      field.onChange(on ? [...field.value, r.id] : field.value.filter((id) => id !== r.id))
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
      {formState.errors.resourceIds && <p className="field-error">{formState.errors.resourceIds.message}</p>}
    </fieldset>
  );
}
