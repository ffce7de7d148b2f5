// The create dialog's form values and the request body they make: pure, so it is unit-tested
// (console/test/lib.test.ts) apart from the React form.
import { LIFETIMES } from './access';
import type { RenewedSettings } from './renew';
import type { CreateTokenBody } from './types';
import { splitList } from './validation';

export interface CreateTokenValues extends RenewedSettings {
  /** A preset's number of days ("7", "30", …), "custom" or "never". */
  lifetime: string;
  /** YYYY-MM-DD when `lifetime` is "custom". */
  customDate: string;
  deliverEmail: boolean;
}

/** "HH:MM:00" of a date in local time: a custom expiry day keeps the time of day of its creation. */
export function timeOfDay(date: Date): string {
  return `${String(date.getHours()).padStart(2, '0')}:${String(date.getMinutes()).padStart(2, '0')}:00`;
}

/** When the token would expire: a date, "never", or null while a custom date is not picked. */
export function expiryOf(
  values: Pick<CreateTokenValues, 'lifetime' | 'customDate'>,
  now: Date,
): Date | 'never' | null {
  const preset = LIFETIMES.find((l) => l.value === values.lifetime);
  if (preset) {
    const out = new Date(now.getTime());
    out.setDate(out.getDate() + preset.days);
    return out;
  }
  if (values.lifetime === 'never') return 'never';
  if (!/^\d{4}-\d{2}-\d{2}$/.test(values.customDate)) return null;
  return new Date(`${values.customDate}T${timeOfDay(now)}`);
}

/** Whole days from `now` to `date` (rounded up: tomorrow at the same time is 1). */
export function daysUntil(date: Date, now: Date): number {
  return Math.ceil((date.getTime() - now.getTime()) / 86_400_000 - 1e-9);
}

/** The POST /v1/orgs/{org}/tokens body for the form's values (trimmed; empty optional fields left out). */
export function toCreateTokenBody(values: CreateTokenValues, now: Date = new Date()): CreateTokenBody {
  const body: CreateTokenBody = {
    name: values.name.trim(),
    kind: values.kind,
    access: values.access === 'full' ? 'full' : 'granular',
  };
  const description = values.description.trim();
  if (description) body.description = description;
  if (values.access === 'granular') body.permissions = values.permissions;
  if (values.access === 'role') body.roleId = values.roleId;
  body.resourceIds = values.resourceMode === 'all' ? null : values.resourceIds;
  const preset = LIFETIMES.find((l) => l.value === values.lifetime);
  if (preset) body.expiresIn = `${preset.days}d`;
  else if (values.lifetime === 'never') body.expiresAt = null;
  else body.expiresAt = new Date(`${values.customDate}T${timeOfDay(now)}`).toISOString();
  const ips = splitList(values.allowedIps);
  if (ips.length > 0) body.allowedIps = ips;
  if (values.rateLimit.trim()) {
    body.rateLimit = {
      limit: Number(values.rateLimit.trim()),
      windowSeconds: Number(values.rateWindow.trim()),
    };
  }
  if (values.deliverEmail) body.deliver = { email: true };
  return body;
}
