import { checkIpList } from '../../lib/validation';
import type { GrantForm } from './form';

/** The IP allowlist and the rate limit, folded away unless `open`. */
export function LimitsSection({
  form,
  idPrefix,
  open,
}: {
  form: GrantForm;
  idPrefix: string;
  open?: boolean;
}) {
  const { register, formState } = form;
  const { errors } = formState;
  return (
    <details className="advanced" open={open ? true : undefined}>
      <summary>Advanced: IP allowlist and rate limit</summary>
      <div className="field">
        <label htmlFor={`${idPrefix}-ips`}>Allowed IP addresses</label>
        <textarea
          id={`${idPrefix}-ips`}
          rows={3}
          placeholder={'203.0.113.0/24\n2001:db8::/32'}
          aria-invalid={errors.allowedIps ? true : undefined}
          aria-describedby={`${idPrefix}-ips-hint`}
          {...register('allowedIps', { validate: (v) => checkIpList(v) ?? true })}
        />
        <p className="hint" id={`${idPrefix}-ips-hint`}>
          Addresses or CIDR blocks, one per line. Empty: any address.
        </p>
        {errors.allowedIps && <p className="field-error">{errors.allowedIps.message}</p>}
      </div>
      <div className="field-row">
        <div className="field">
          <label htmlFor={`${idPrefix}-rate`}>Rate limit (requests)</label>
          <input
            id={`${idPrefix}-rate`}
            inputMode="numeric"
            placeholder="none"
            aria-invalid={errors.rateLimit ? true : undefined}
            {...register('rateLimit', {
              validate: (v) =>
                v.trim() === '' ||
                /^[1-9]\d*$/.test(v.trim()) ||
                'The rate limit is a whole number of requests, 1 or more.',
            })}
          />
        </div>
        <div className="field">
          <label htmlFor={`${idPrefix}-window`}>per (seconds)</label>
          <input
            id={`${idPrefix}-window`}
            inputMode="numeric"
            aria-invalid={errors.rateWindow ? true : undefined}
            {...register('rateWindow', {
              validate: (v, all) =>
                all.rateLimit.trim() === '' ||
                /^[1-9]\d*$/.test(v.trim()) ||
                'The window is a whole number of seconds, 1 or more.',
            })}
          />
        </div>
      </div>
      {errors.rateLimit && <p className="field-error">{errors.rateLimit.message}</p>}
      {errors.rateWindow && <p className="field-error">{errors.rateWindow.message}</p>}
    </details>
  );
}
