import type { UseFormReturn } from 'react-hook-form';
import type { CreateTokenValues } from '../../lib/create-token';
import { useOrg } from '../../lib/session';

/** Personal (the member's own) or application (the organization's). */
export function KindSection({ form }: { form: UseFormReturn<CreateTokenValues> }) {
  const { can } = useOrg();
  const { register } = form;
  return (
    <fieldset className="field">
      <legend>Kind</legend>
      <div className="choice-list">
        <label className="choice">
          <input type="radio" value="personal" {...register('kind')} />
          <span>
            <strong>Personal</strong>
            <span className="hint">Yours: it never exceeds your own permissions and stops if you leave.</span>
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
  );
}
