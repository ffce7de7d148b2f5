import * as DropdownMenu from '@radix-ui/react-dropdown-menu';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useForm } from 'react-hook-form';
import {
  ConfirmDialog,
  EmptyState,
  ErrorMessage,
  Loading,
  PageHeader,
  RowMenu,
  Time,
} from '../components/ui';
import { api } from '../lib/api';
import { navigate, orgPath } from '../lib/router';
import { useOrg, useResources } from '../lib/session';
import type { Resource } from '../lib/types';

export function ResourcesPage() {
  const { org, can } = useOrg();
  const queryClient = useQueryClient();
  const resources = useResources(org.id);
  const writable = can('resources:write');
  const [removing, setRemoving] = useState<Resource | null>(null);
  const remove = useMutation({
    mutationFn: (r: Resource) => api.deleteResource(org.id, r.id),
    onSuccess: () => {
      setRemoving(null);
      void queryClient.invalidateQueries({ queryKey: ['resources', org.id] });
    },
  });
  const tokensFor = (r: Resource) =>
    `${orgPath(org.id, 'tokens')}?resource=${encodeURIComponent(r.id)}${can('tokens:read') ? '&owner=all' : ''}`;

  return (
    <>
      <PageHeader title="Resources">
        <p className="muted">Things a token can be limited to, such as a shard or a database.</p>
      </PageHeader>
      {writable && <AddResourceForm />}
      {resources.isPending ? (
        <Loading label="Loading resources…" />
      ) : resources.isError ? (
        <ErrorMessage error={resources.error} />
      ) : resources.data.length === 0 ? (
        <EmptyState title="No resources yet">
          <p className="muted">Tokens cover every resource until you add some and limit tokens to them.</p>
        </EmptyState>
      ) : (
        <div className="table-wrap">
          <table className="table responsive" aria-label="Resources">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Type</th>
                <th scope="col">Id</th>
                <th scope="col">Added</th>
                <th scope="col">
                  <span className="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {resources.data.map((r) => (
                <tr key={r.id}>
                  <td data-label="Name">
                    <span className="cell-title">{r.name}</span>
                  </td>
                  <td data-label="Type">
                    <span className="badge">{r.type}</span>
                  </td>
                  <td data-label="Id" className="mono">
                    {r.id}
                  </td>
                  <td data-label="Added">
                    <Time iso={r.createdAt} />
                  </td>
                  <td className="cell-actions">
                    <RowMenu label={`Actions for ${r.name}`}>
                      <DropdownMenu.Item className="menu-item" onSelect={() => navigate(tokensFor(r))}>
                        View tokens
                      </DropdownMenu.Item>
                      {writable && (
                        <>
                          <DropdownMenu.Separator className="menu-separator" />
                          <DropdownMenu.Item
                            className="menu-item menu-danger"
                            onSelect={() => {
                              remove.reset();
                              setRemoving(r);
                            }}
                          >
                            Remove…
                          </DropdownMenu.Item>
                        </>
                      )}
                    </RowMenu>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <ConfirmDialog
        open={removing !== null}
        onOpenChange={(open) => !open && setRemoving(null)}
        title={`Remove ${removing?.type ?? ''} “${removing?.name ?? ''}”?`}
        body="Tokens limited to this resource lose access to it."
        confirmLabel="Remove resource"
        pending={remove.isPending}
        error={remove.error}
        onConfirm={() => removing && remove.mutate(removing)}
      />
    </>
  );
}

function AddResourceForm() {
  const { org } = useOrg();
  const queryClient = useQueryClient();
  const { register, handleSubmit, formState, reset } = useForm<{ type: string; name: string }>({
    defaultValues: { type: 'shard', name: '' },
  });
  const add = useMutation({
    mutationFn: (values: { type: string; name: string }) =>
      api.createResource(org.id, { type: values.type.trim(), name: values.name.trim() }),
    onSuccess: (_r, values) => {
      reset({ type: values.type, name: '' });
      void queryClient.invalidateQueries({ queryKey: ['resources', org.id] });
    },
  });
  return (
    <section className="card section" aria-labelledby="add-resource-title">
      <h2 id="add-resource-title">Add a resource</h2>
      <form className="inline-form" onSubmit={handleSubmit((values) => add.mutate(values))} noValidate>
        <div className="field">
          <label htmlFor="resource-type">Type</label>
          <input
            id="resource-type"
            list="resource-types"
            aria-invalid={formState.errors.type ? true : undefined}
            {...register('type', {
              validate: (v) => v.trim().length > 0 || 'Enter a type, e.g. shard or database.',
            })}
          />
          <datalist id="resource-types">
            <option value="shard" />
            <option value="database" />
          </datalist>
          {formState.errors.type && <p className="field-error">{formState.errors.type.message}</p>}
        </div>
        <div className="field">
          <label htmlFor="resource-name">Name</label>
          <input
            id="resource-name"
            placeholder="testnet-1"
            aria-invalid={formState.errors.name ? true : undefined}
            {...register('name', { validate: (v) => v.trim().length > 0 || 'Enter a name.' })}
          />
          {formState.errors.name && <p className="field-error">{formState.errors.name.message}</p>}
        </div>
        <button type="submit" className="button button-primary" disabled={add.isPending}>
          Add
        </button>
      </form>
      <ErrorMessage error={add.error} />
    </section>
  );
}
