import type { UseFormReturn } from 'react-hook-form';

/** The fields of a form that sets a password: the password, and the same typed again. */
export interface NewPasswordValues {
  password: string;
  confirm: string;
}

/**
 * A new password typed twice (setting up an invited account, a reset link, a change on the account page):
 * at least 10 characters, as the server requires, and the same both times.
 */
export function NewPasswordFields<T extends NewPasswordValues>({
  form,
  idPrefix,
  label = 'Password',
  confirmLabel = 'Repeat the password',
  requiredMessage = 'Choose a password.',
}: {
  form: UseFormReturn<T>;
  /** `invite` gives the ids `invite-password` and `invite-confirm`. */
  idPrefix: string;
  label?: string;
  confirmLabel?: string;
  requiredMessage?: string;
}) {
  // The form holds more fields than these two; only `password` and `confirm` are read or registered here.
  const { register, getValues, formState } = form as unknown as UseFormReturn<NewPasswordValues>;
  const { errors } = formState;
  return (
    <>
      <div className="field">
        <label htmlFor={`${idPrefix}-password`}>{label}</label>
        <input
          id={`${idPrefix}-password`}
          type="password"
          autoComplete="new-password"
          aria-invalid={errors.password ? true : undefined}
          {...register('password', {
            required: requiredMessage,
            minLength: { value: 10, message: 'Use at least 10 characters.' },
          })}
        />
        {errors.password && <p className="field-error">{errors.password.message}</p>}
      </div>
      <div className="field">
        <label htmlFor={`${idPrefix}-confirm`}>{confirmLabel}</label>
        <input
          id={`${idPrefix}-confirm`}
          type="password"
          autoComplete="new-password"
          aria-invalid={errors.confirm ? true : undefined}
          {...register('confirm', {
            validate: (value) => value === getValues('password') || 'The passwords do not match.',
          })}
        />
        {errors.confirm && <p className="field-error">{errors.confirm.message}</p>}
      </div>
    </>
  );
}
