import { z } from "zod";

/** The date formats the worlds and the lesson language know. */
export const DateFormatSchema = z.enum(["YYYY-MM-DD", "DD.MM.YYYY", "MM/DD/YYYY", "D MMMM YYYY"]);
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

/** Writes an ISO date (`2026-11-24`) in `format`. */
export function formatDate(iso: string, format: DateFormat): string {
  const { year, month, day } = parts(iso);
  switch (format) {
    case "YYYY-MM-DD":
      return `${year}-${pad(month)}-${pad(day)}`;
    case "DD.MM.YYYY":
      return `${pad(day)}.${pad(month)}.${year}`;
    case "MM/DD/YYYY":
      return `${pad(month)}/${pad(day)}/${year}`;
    case "D MMMM YYYY":
      return `${day} ${MONTHS[month - 1] ?? "?"} ${year}`;
  }
}

/** Which format a written date is in, or `undefined` when it is none of them. */
export function detectDateFormat(text: string): DateFormat | undefined {
  const trimmed = text.trim();
  if (ISO.test(trimmed)) return "YYYY-MM-DD";
  if (/^\d{2}\.\d{2}\.\d{4}$/.test(trimmed)) return "DD.MM.YYYY";
  if (/^\d{2}\/\d{2}\/\d{4}$/.test(trimmed)) return "MM/DD/YYYY";
  if (/^\d{1,2} [A-Z][a-z]+ \d{4}$/.test(trimmed) && MONTHS.some((month) => trimmed.includes(month))) return "D MMMM YYYY";
  return undefined;
}

/** Reads `text` as a date written in `format`; `undefined` when it is not one. */
export function parseDate(text: string, format: DateFormat): string | undefined {
  if (detectDateFormat(text) !== format) return undefined;
  const trimmed = text.trim();
  let year: number;
  let month: number;
  let day: number;
  switch (format) {
    case "YYYY-MM-DD":
      ({ year, month, day } = parts(trimmed));
      break;
    case "DD.MM.YYYY":
      [day, month, year] = trimmed.split(".").map(Number) as [number, number, number];
      break;
    case "MM/DD/YYYY":
      [month, day, year] = trimmed.split("/").map(Number) as [number, number, number];
      break;
    case "D MMMM YYYY": {
      const [d, name, y] = trimmed.split(" ");
      day = Number(d);
      month = MONTHS.indexOf(name as (typeof MONTHS)[number]) + 1;
      year = Number(y);
      break;
    }
  }
  if (month < 1 || month > 12 || day < 1 || day > 31) return undefined;
  return `${year}-${pad(month)}-${pad(day)}`;
}

/** The ISO date `days` after `iso`. */
export function addDays(iso: string, days: number): string {
  const { year, month, day } = parts(iso);
  const date = new Date(Date.UTC(year, month - 1, day + days));
  return date.toISOString().slice(0, 10);
}
