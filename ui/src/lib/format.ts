// UK display conventions: dd/mm/yyyy and Europe/London times, whatever the laptop's settings.
const dateFmt = new Intl.DateTimeFormat("en-GB", { timeZone: "Europe/London", day: "2-digit", month: "2-digit", year: "numeric" });
const dateTimeFmt = new Intl.DateTimeFormat("en-GB", {
  timeZone: "Europe/London",
  day: "2-digit",
  month: "2-digit",
  year: "numeric",
  hour: "2-digit",
  minute: "2-digit",
});

/** An ISO instant as dd/mm/yyyy HH:MM, London time. */
export const ukDateTime = (iso: string) => dateTimeFmt.format(new Date(iso)).replace(",", "");
/** An ISO instant as dd/mm/yyyy, London time. */
export const ukDateOfInstant = (iso: string) => dateFmt.format(new Date(iso));
/** A YYYY-MM-DD date as dd/mm/yyyy. */
export const ukDate = (d: string) => d.split("-").reverse().join("/");

/** Now as `dd/mm/yyyy HH:MM` in London time: the default of a "when" field. */
export function londonNowLocal(now = new Date()): string {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat("en-GB", {
      timeZone: "Europe/London",
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      hourCycle: "h23",
    })
      .formatToParts(now)
      .map((p) => [p.type, p.value]),
  );
  return `${parts.day}/${parts.month}/${parts.year} ${parts.hour}:${parts.minute}`;
}

/** A typed dd/mm/yyyy as YYYY-MM-DD for a filter, or null when it is not in that shape. */
export function isoFromUkDate(typed: string): string | null {
  const m = /^\s*(\d{1,2})\/(\d{1,2})\/(\d{4})\s*$/.exec(typed);
  return m ? `${m[3]}-${m[2].padStart(2, "0")}-${m[1].padStart(2, "0")}` : null;
}
