import { z } from "zod";

/**
 * Date formats in common use. The worlds use a few of them; a learner that
 * guesses a format from a vague error or complaint guesses among all of them,
 * not among the ones the worlds happen to use.
 */
export const DateFormatSchema = z.enum([
  "YYYY-MM-DD",
  "DD.MM.YYYY",
  "MM/DD/YYYY",
  "DD/MM/YYYY",
  "D MMMM YYYY",
  "MMMM D, YYYY",
  "YYYY/MM/DD",
  "DD-MM-YYYY",
]);
export type DateFormat = z.infer<typeof DateFormatSchema>;

export const DATE_FORMATS: readonly DateFormat[] = DateFormatSchema.options;

const MONTHS = [
  "January",
  "February",
  "March",
  "April",
  "May",
  "June",
  "July",
  "August",
  "September",
  "October",
  "November",
  "December",
] as const;

const ISO = /^(\d{4})-(\d{2})-(\d{2})$/;

function parts(iso: string): { year: number; month: number; day: number } {
  const match = ISO.exec(iso);
  if (match === null) throw new RangeError(`Expected a YYYY-MM-DD date, got "${iso}".`);
  return { year: Number(match[1]), month: Number(match[2]), day: Number(match[3]) };
}

const pad = (value: number) => String(value).padStart(2, "0");
const monthName = (month: number) => MONTHS[month - 1] ?? "?";
const monthNumber = (name: string | undefined) => MONTHS.indexOf(name as (typeof MONTHS)[number]) + 1;

/** How one format writes a date, and the pattern that reads it back (groups: year, month or monthName, day). */
const FORMATS: Record<DateFormat, { write: (date: { year: number; month: number; day: number }) => string; read: RegExp }> = {
  "YYYY-MM-DD": { write: (d) => `${d.year}-${pad(d.month)}-${pad(d.day)}`, read: /^(?<year>\d{4})-(?<month>\d{2})-(?<day>\d{2})$/ },
  "DD.MM.YYYY": { write: (d) => `${pad(d.day)}.${pad(d.month)}.${d.year}`, read: /^(?<day>\d{2})\.(?<month>\d{2})\.(?<year>\d{4})$/ },
  "MM/DD/YYYY": { write: (d) => `${pad(d.month)}/${pad(d.day)}/${d.year}`, read: /^(?<month>\d{2})\/(?<day>\d{2})\/(?<year>\d{4})$/ },
  "DD/MM/YYYY": { write: (d) => `${pad(d.day)}/${pad(d.month)}/${d.year}`, read: /^(?<day>\d{2})\/(?<month>\d{2})\/(?<year>\d{4})$/ },
  "D MMMM YYYY": { write: (d) => `${d.day} ${monthName(d.month)} ${d.year}`, read: /^(?<day>\d{1,2}) (?<monthName>[A-Z][a-z]+) (?<year>\d{4})$/ },
  "MMMM D, YYYY": { write: (d) => `${monthName(d.month)} ${d.day}, ${d.year}`, read: /^(?<monthName>[A-Z][a-z]+) (?<day>\d{1,2}), (?<year>\d{4})$/ },
  "YYYY/MM/DD": { write: (d) => `${d.year}/${pad(d.month)}/${pad(d.day)}`, read: /^(?<year>\d{4})\/(?<month>\d{2})\/(?<day>\d{2})$/ },
  "DD-MM-YYYY": { write: (d) => `${pad(d.day)}-${pad(d.month)}-${d.year}`, read: /^(?<day>\d{2})-(?<month>\d{2})-(?<year>\d{4})$/ },
};

/** Writes an ISO date (`2026-11-24`) in `format`. */
export function formatDate(iso: string, format: DateFormat): string {
  return FORMATS[format].write(parts(iso));
}

/** Reads `text` as a date written in `format`; `undefined` when it is not one. */
export function parseDate(text: string, format: DateFormat): string | undefined {
  const groups = FORMATS[format].read.exec(text.trim())?.groups;
  if (groups === undefined) return undefined;
  const year = Number(groups["year"]);
  const month = groups["monthName"] === undefined ? Number(groups["month"]) : monthNumber(groups["monthName"]);
  const day = Number(groups["day"]);
  if (month < 1 || month > 12 || day < 1 || day > 31) return undefined;
  return `${year}-${pad(month)}-${pad(day)}`;
}

/** Every format that reads `text` as a valid date: more than one when the text is ambiguous (`05/06/2026`). */
export function dateFormatsOf(text: string): DateFormat[] {
  return DATE_FORMATS.filter((format) => parseDate(text, format) !== undefined);
}

/** The first format that reads `text` as a date (see {@link dateFormatsOf} for ambiguous ones), or `undefined`. */
export function detectDateFormat(text: string): DateFormat | undefined {
  return dateFormatsOf(text)[0];
}

/** The ISO date `days` after `iso`. */
export function addDays(iso: string, days: number): string {
  const { year, month, day } = parts(iso);
  const date = new Date(Date.UTC(year, month - 1, day + days));
  return date.toISOString().slice(0, 10);
}
