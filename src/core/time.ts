/**
 * `new Date(ms).toISOString()` for the years 0–9999, from the UTC getters. V8's toISOString
 * loads the machine's time zone on first use (reading /etc/localtime and ICU data, about
 * 0.2 ms), which a heartbeat check that only ever writes UTC has no use for. Other years (and
 * invalid times) go to toISOString itself, so the result is always the same.
 */
export function isoTime(ms: number): string {
  const d = new Date(ms);
  const year = d.getUTCFullYear();
  if (!(year >= 0 && year <= 9999)) return d.toISOString();
  return `${pad(year, 4)}-${pad(d.getUTCMonth() + 1, 2)}-${pad(d.getUTCDate(), 2)}T${pad(d.getUTCHours(), 2)}:${pad(d.getUTCMinutes(), 2)}:${pad(d.getUTCSeconds(), 2)}.${pad(d.getUTCMilliseconds(), 3)}Z`;
}

const pad = (n: number, width: number): string => String(n).padStart(width, "0");
