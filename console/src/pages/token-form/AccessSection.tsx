import { Controller } from 'react-hook-form';
import { PermissionPicker } from '../../components/PermissionPicker';
import { ErrorMessage, Loading } from '../../components/ui';
import { roleExcess } from '../../lib/access';
import { useOrg, useRoles } from '../../lib/session';
import type { Permission, TokenKind } from '../../lib/types';
import type { GrantForm } from './form';

/** Granular permissions, full access, or a role. */
export function AccessSection({
  form,
  catalog,
  kind,
  idPrefix,
}: {
  form: GrantForm;
  catalog: Permission[];
  kind: TokenKind;
  idPrefix: string;
}) {
  const { org, can } = useOrg();
  const roles = useRoles(org.id, can('roles:read'));
  const { register, control, watch, formState } = form;
  const { errors } = formState;
  const access = watch('access');
  const held = new Set(org.permissions);
  const missingAny = catalog.some((p) => !held.has(p.key));
  const noFull = kind === 'application' && missingAny;
  return (
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
        <label className={noFull ? 'choice disabled' : 'choice'}>
          <input type="radio" value="full" disabled={noFull} {...register('access')} />
          <span>
            <strong>Full access</strong>
            <span className="hint">
              {noFull
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
            validate: (value) => value.length > 0 || 'Pick at least one permission, or choose Full access.',
          }}
          render={({ field }) => (
            <>
              <PermissionPicker
                catalog={catalog}
                value={field.value}
                onChange={field.onChange}
                held={held}
                idPrefix={idPrefix === 'token' ? 'perm' : `${idPrefix}-perm`}
                errorId={errors.permissions ? `${idPrefix}-perm-error` : undefined}
              />
              {errors.permissions && (
                <p className="field-error" id={`${idPrefix}-perm-error`}>
                  {errors.permissions.message}
                </p>
              )}
            </>
          )}
        />
      )}

      {access === 'role' && (
        <div className="field inline-field">
          <label htmlFor={`${idPrefix}-role`}>Role</label>
          {roles.isPending ? (
            <Loading />
          ) : roles.isError ? (
            <ErrorMessage error={roles.error} />
          ) : (
            <select
              id={`${idPrefix}-role`}
              aria-invalid={errors.roleId ? true : undefined}
              {...register('roleId', {
                validate: (v, all) => all.access !== 'role' || v !== '' || 'Pick a role.',
              })}
            >
              <option value="">Choose a role…</option>
              {roles.data.map((role) => {
                const excess = roleExcess(role, org.permissions);
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
  );
}
