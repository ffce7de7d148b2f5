import type { GrantForm } from './form';

/** Name and description. */
export function NameFields({ form, idPrefix }: { form: GrantForm; idPrefix: string }) {
  const { register, formState } = form;
  const { errors } = formState;
  return (
    <>
      <div className="field">
        <label htmlFor={`${idPrefix}-name`}>Name</label>
        <input
          id={`${idPrefix}-name`}
          autoComplete="off"
          placeholder="e.g. ci-deploy, indexer-testnet"
          aria-invalid={errors.name ? true : undefined}
          aria-describedby={errors.name ? `${idPrefix}-name-error` : `${idPrefix}-name-hint`}
          {...register('name', {
            validate: (value) => {
              const v = value.trim();
              if (!v) return 'Give the token a name, so you can recognise it later.';
              if (v.length > 100) return `The name is ${v.length} characters long; at most 100 are allowed.`;
              return true;
            },
          })}
        />
        {errors.name ? (
          <p className="field-error" id={`${idPrefix}-name-error`}>
            {errors.name.message}
          </p>
        ) : (
          <p className="hint" id={`${idPrefix}-name-hint`}>
            Unique among your active tokens, up to 100 characters.
          </p>
        )}
      </div>
      <div className="field">
        <label htmlFor={`${idPrefix}-description`}>
          Description <span className="muted">(optional)</span>
        </label>
        <input
          id={`${idPrefix}-description`}
          autoComplete="off"
          aria-invalid={errors.description ? true : undefined}
          {...register('description', { maxLength: 500 })}
        />
        {errors.description && <p className="field-error">{errors.description.message}</p>}
      </div>
    </>
  );
}
