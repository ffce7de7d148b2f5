const unitSeconds: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400, y: 365 * 86_400 };

/** "12h", "30d", "1y", "90s", "15m" or a number of seconds → seconds; null when it is none of these. */
export function parseDurationSeconds(value: string | number): number | null {
  if (typeof value === 'number') return Number.isSafeInteger(value) && value > 0 ? value : null;
  const match = /^(\d{1,9})([smhdy])$/.exec(value.trim());
  if (match) {
    const seconds = Number(match[1]) * (unitSeconds[match[2] as string] as number);
    return seconds > 0 ? seconds : null;
  }
  if (/^\d{1,12}$/.test(value.trim())) {
    const seconds = Number(value.trim());
    return seconds > 0 ? seconds : null;
  }
  return null;
}
