import type { UseFormReturn } from 'react-hook-form';
import { LIFETIMES } from '../../lib/access';
import { type CreateTokenValues, daysUntil, expiryOf, timeOfDay } from '../../lib/create-token';
import { addDays, isoDay, longDate } from '../../lib/format';
import type { OrgPolicy } from '../../lib/types';

/** The lifetime presets, a custom date, or no expiry, with the resulting date always in view. */
export function LifetimeSection({
  form,
  policy,
}: {
  form: UseFormReturn<CreateTokenValues>;
  policy: Pick<OrgPolicy, 'maxTtlDays' | 'allowNoExpiry'>;
}) {
  const { register, watch, formState } = form;
  const { errors } = formState;
  const lifetime = watch('lifetime');
  const customDate = watch('customDate');
  const now = new Date();
  const maxDate = addDays(now, policy.maxTtlDays);
  const maxDay = isoDay(maxDate);
  const minDay = isoDay(addDays(now, 1));
  const expiry = expiryOf({ lifetime, customDate }, now);
  const expiryText =
    expiry === 'never'
      ? 'Never expires. Revoke it when it is no longer needed.'
      : expiry === null
        ? 'Pick a date.'
        : `Expires on ${longDate(expiry)}.`;
  return (
    <fieldset className="field">
      <legend>Lifetime</legend>
      <div className="segmented" role="radiogroup" aria-label="Lifetime">
        {LIFETIMES.map((l) => {
          const tooLong = l.days > policy.maxTtlDays;
          return (
            <label
              key={l.value}
              className={tooLong ? 'segment disabled' : 'segment'}
              title={
                tooLong ? `Longer than this organization's maximum of ${policy.maxTtlDays} days` : undefined
              }
            >
              <input type="radio" value={l.value} disabled={tooLong} {...register('lifetime')} />
              <span>{l.label}</span>
            </label>
          );
        })}
        <label className="segment">
          <input type="radio" value="custom" {...register('lifetime')} />
          <span>Custom date</span>
        </label>
        <label
          className={policy.allowNoExpiry ? 'segment' : 'segment disabled'}
          title={policy.allowNoExpiry ? undefined : 'This organization requires every token to expire'}
        >
          <input type="radio" value="never" disabled={!policy.allowNoExpiry} {...register('lifetime')} />
          <span>No expiry</span>
        </label>
      </div>
      {lifetime === 'custom' && (
        <div className="field inline-field">
          <label htmlFor="token-custom-date">Expiry date</label>
          <input
            id="token-custom-date"
            type="date"
            min={minDay}
            max={maxDay}
            aria-invalid={errors.customDate ? true : undefined}
            aria-describedby={errors.customDate ? 'token-custom-date-error' : undefined}
            {...register('customDate', {
              validate: (value, all) => {
                if (all.lifetime !== 'custom') return true;
                if (!value) return 'Pick the day the token expires.';
                if (value < minDay) return 'The expiry date must be in the future.';
                if (value > maxDay) {
                  const picked = new Date(`${value}T${timeOfDay(now)}`);
                  return `${longDate(picked)} is ${daysUntil(picked, now)} days away: this organization allows at most ${policy.maxTtlDays} days, until ${longDate(maxDate)}.`;
                }
                return true;
              },
            })}
          />
        </div>
      )}
      {errors.customDate && (
        <p className="field-error" id="token-custom-date-error">
          {errors.customDate.message}
        </p>
      )}
      {errors.lifetime && <p className="field-error">{errors.lifetime.message}</p>}
      <p className="hint" aria-live="polite">
        {expiryText}
        {LIFETIMES.some((l) => l.days > policy.maxTtlDays) &&
          ` Longer lifetimes exceed this organization's maximum of ${policy.maxTtlDays} days.`}
        {!policy.allowNoExpiry && ' “No expiry” is turned off by the organization’s token policy.'}
      </p>
    </fieldset>
  );
}
