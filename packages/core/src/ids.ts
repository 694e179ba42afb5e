import { z } from "zod";

/** Ids of lessons, episodes and edge cases: short, printable, safe as store keys. */
export const IdSchema = z
  .string()
  .min(1, "must not be empty")
  .max(128, "must be at most 128 characters")
  .regex(/^[A-Za-z0-9._:-]+$/, "may hold only letters, digits and . _ : -");

/** An ISO-8601 timestamp with a time zone, as produced by `Date.prototype.toISOString`. */
export const TimestampSchema = z.iso.datetime({ offset: true, message: "must be an ISO-8601 timestamp" });

/** Snapshot versions count up from 0, the empty memory. */
export const VersionSchema = z.number().int("must be a whole number").min(0, "must be 0 or more");
