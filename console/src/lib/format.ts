// Dates and durations as the console shows them.

// Days up to two months ("in 30 days" reads better than "next month" for an expiry).
const units: [Intl.RelativeTimeFormatUnit, number, number][] = [
  ['year', 365 * 24 * 3600, 365 * 24 * 3600],
  ['month', 30 * 24 * 3600, 60 * 24 * 3600],
  ['day', 24 * 3600, 24 * 3600],
  ['hour', 3600, 3600],
  ['minute', 60, 60],
];

const rtf = new Intl.RelativeTimeFormat('en', { numeric: 'auto' });

/** "in 30 days", "3 hours ago", "now". */
export function relativeTime(iso: string, now: number = Date.now()): string {
  const seconds = Math.round((new Date(iso).getTime() - now) / 1000);
  const abs = Math.abs(seconds);
  if (abs < 45) return seconds > 0 ? 'in a few seconds' : 'just now';
  for (const [unit, size, from] of units) {
    if (abs >= from) return rtf.format(Math.round(seconds / size), unit);
  }
  return rtf.format(seconds, 'second');
}

const dateTime = new Intl.DateTimeFormat('en', { dateStyle: 'medium', timeStyle: 'short' });
const dateOnly = new Intl.DateTimeFormat('en', { dateStyle: 'full' });

export function absoluteTime(iso: string): string {
  return dateTime.format(new Date(iso));
}

export function longDate(date: Date): string {
  return dateOnly.format(date);
}

/** YYYY-MM-DD of a date in local time, for <input type="date">. */
export function isoDay(date: Date): string {
  const y = date.getFullYear();
  const m = String(date.getMonth() + 1).padStart(2, '0');
  const d = String(date.getDate()).padStart(2, '0');
  return `${y}-${m}-${d}`;
}

export function addDays(date: Date, days: number): Date {
  const out = new Date(date.getTime());
  out.setDate(out.getDate() + days);
  return out;
}
