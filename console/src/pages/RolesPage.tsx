import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useMemo, useState } from 'react';
import { Controller, useForm } from 'react-hook-form';
import { PermissionPicker } from '../components/PermissionPicker';
import { ConfirmDialog, Dialog, EmptyState, ErrorMessage, Loading, PageHeader } from '../components/ui';
import { api } from '../lib/api';
import { sessionKey, useCatalog, useOrg, useRoles } from '../lib/session';
import type { Role } from '../lib/types';
import { checkName } from '../lib/validation';

export function RolesPage() {
  const { org, can } = useOrg();
  const queryClient = useQueryClient();
  const roles = useRoles(org.id);
  const catalog = useCatalog();
  const writable = can('roles:write');
  const [editing, setEditing] = useState<Role | 'new' | null>(null);
  const [deleting, setDeleting] = useState<Role | null>(null);
  const remove = useMutation({
    mutationFn: (role: Role) => api.deleteRole(org.id, role.id),
    onSuccess: () => {
      setDeleting(null);
      void queryClient.invalidateQueries({ queryKey: ['roles', org.id] });
    },
  });
  const labelOf = (key: string) => catalog.data?.find((p) => p.key === key)?.label ?? key;

  return (
    <>
      <PageHeader
        title="Roles"
        actions={
          writable && (
            <button type="button" className="button button-primary" onClick={() => setEditing('new')}>
              New role
            </button>
          )
        }
      >
        <p className="muted">
          A role is a named set of permissions for members and tokens. Editing a role changes every token that
          uses it.
        </p>
      </PageHeader>
      {roles.isPending ? (
        <Loading label="Loading roles…" />
      ) : roles.isError ? (
        <ErrorMessage error={roles.error} />
      ) : roles.data.length === 0 ? (
        <EmptyState title="No roles" />
      ) : (
        <ul className="role-list">
          {roles.data.map((role) => (
            <li key={role.id} className="card role-card" data-role-id={role.id}>
              <div className="role-head">
                <div>
                  <h2 className="role-name">
                    {role.name} {role.builtIn && <span className="badge">built-in</span>}
                  </h2>
                  {role.description && <p className="muted">{role.description}</p>}
                  <p className="cell-sub muted mono">{role.id}</p>
                </div>
                {writable && !role.builtIn && (
                  <div className="row-buttons">
                    <button type="button" className="button button-small" onClick={() => setEditing(role)}>
                      Edit
                    </button>
                    <button
                      type="button"
                      className="button button-small button-danger-ghost"
                      onClick={() => {
                        remove.reset();
                        setDeleting(role);
                      }}
                    >
                      Delete
                    </button>
                  </div>
                )}
              </div>
              <details>
                <summary>{role.permissions.length} permissions</summary>
                <ul className="perm-list">
                  {role.permissions.map((p) => (
                    <li key={p}>
                      <code className="perm-chip">{p}</code> {labelOf(p)}
                    </li>
                  ))}
                </ul>
              </details>
            </li>
          ))}
        </ul>
      )}
      {editing && (
        <RoleDialog
          role={editing === 'new' ? null : editing}
          onClose={() => setEditing(null)}
          onSaved={() => {
            setEditing(null);
            void queryClient.invalidateQueries({ queryKey: ['roles', org.id] });
            void queryClient.invalidateQueries({ queryKey: sessionKey });
          }}
        />
      )}
      <ConfirmDialog
        open={deleting !== null}
        onOpenChange={(open) => !open && setDeleting(null)}
        title={`Delete the role “${deleting?.name ?? ''}”?`}
        body="Members and tokens that use this role must be moved to another role first; the server refuses otherwise."
        confirmLabel="Delete role"
        pending={remove.isPending}
        error={remove.error}
        onConfirm={() => deleting && remove.mutate(deleting)}
      />
    </>
  );
}

interface RoleForm {
  name: string;
  description: string;
  permissions: string[];
}

function RoleDialog({
  role,
  onClose,
  onSaved,
}: {
  role: Role | null;
  onClose: () => void;
  onSaved: () => void;
}) {
  const { org } = useOrg();
  const catalog = useCatalog();
  const held = useMemo(() => new Set(org.permissions), [org.permissions]);
  const { register, handleSubmit, control, formState } = useForm<RoleForm>({
    defaultValues: {
      name: role?.name ?? '',
      description: role?.description ?? '',
      permissions: role?.permissions ?? [],
    },
  });
  const save = useMutation({
    mutationFn: (values: RoleForm) => {
      const body = {
        name: values.name.trim(),
        description: values.description.trim(),
        permissions: values.permissions,
      };
      return role ? api.updateRole(org.id, role.id, body) : api.createRole(org.id, body);
    },
    onSuccess: onSaved,
  });
  return (
    <Dialog
      open
      onOpenChange={(open) => !open && onClose()}
      title={role ? `Edit “${role.name}”` : 'New role'}
      wide
    >
      <form onSubmit={handleSubmit((values) => save.mutate(values))} noValidate className="token-form">
        <div className="form-scroll">
          <div className="field">
            <label htmlFor="role-name">Name</label>
            <input
              id="role-name"
              aria-invalid={formState.errors.name ? true : undefined}
              {...register('name', { validate: checkName })}
            />
            {formState.errors.name && <p className="field-error">{formState.errors.name.message}</p>}
          </div>
          <div className="field">
            <label htmlFor="role-description">Description</label>
            <input id="role-description" {...register('description')} />
          </div>
          <fieldset className="field">
            <legend>Permissions</legend>
            {catalog.isPending ? (
              <Loading />
            ) : catalog.isError ? (
              <ErrorMessage error={catalog.error} />
            ) : (
              <Controller
                control={control}
                name="permissions"
                rules={{ validate: (v) => v.length > 0 || 'Pick at least one permission.' }}
                render={({ field }) => (
                  <PermissionPicker
                    catalog={catalog.data}
                    value={field.value}
                    onChange={field.onChange}
                    held={held}
                    idPrefix="role-perm"
                  />
                )}
              />
            )}
            {formState.errors.permissions && (
              <p className="field-error">{formState.errors.permissions.message}</p>
            )}
          </fieldset>
          <ErrorMessage error={save.error} />
        </div>
        <div className="dialog-actions sticky-actions">
          <button type="button" className="button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="button button-primary" disabled={save.isPending}>
            {role ? 'Save role' : 'Create role'}
          </button>
        </div>
      </form>
    </Dialog>
  );
}
