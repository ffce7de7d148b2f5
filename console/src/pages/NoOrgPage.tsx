import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useForm } from 'react-hook-form';
import { ErrorMessage } from '../components/ui';
import { api } from '../lib/api';
import { sessionKey } from '../lib/session';

export function NoOrgPage() {
  const queryClient = useQueryClient();
  const { register, handleSubmit, formState } = useForm<{ name: string }>({ defaultValues: { name: '' } });
  const create = useMutation({
    mutationFn: api.createOrg,
    onSuccess: () => queryClient.invalidateQueries({ queryKey: sessionKey }),
  });
  const logout = useMutation({
    mutationFn: api.logout,
    onSettled: () => queryClient.invalidateQueries({ queryKey: sessionKey }),
  });
  return (
    <main className="center-page">
      <form className="card auth-card" onSubmit={handleSubmit((values) => create.mutate(values))} noValidate>
        <h1>No organization yet</h1>
        <p className="muted">
          You are not a member of any organization. Create one, or ask an administrator to invite you.
        </p>
        <div className="field">
          <label htmlFor="noorg-name">Organization name</label>
          <input id="noorg-name" {...register('name', { required: 'Name the organization.' })} />
          {formState.errors.name && <p className="field-error">{formState.errors.name.message}</p>}
        </div>
        <ErrorMessage error={create.error} />
        <button type="submit" className="button button-primary button-block" disabled={create.isPending}>
          Create organization
        </button>
        <button type="button" className="button button-ghost button-block" onClick={() => logout.mutate()}>
          Sign out
        </button>
      </form>
    </main>
  );
}
