/** Whether Intl knows an IANA time zone name ("Europe/Paris", "UTC"); a typo is not a zone. */
export function isTimeZone(zone: string): boolean {
  if (zone === "") return false;
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}
