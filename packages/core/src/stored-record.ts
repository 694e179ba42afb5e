import { z } from "zod";
import { LessonloopError } from "./errors.js";
import { parseWith } from "./parse.js";

/**
 * The format stores write their records in: `{ "format": 1, "record": … }`. A
 * record without the envelope was written before formats were recorded (format
 * 0: the record itself) and is still read, so stores written by earlier
 * versions stay readable.
 */
export const RECORD_FORMAT = 1;

// Not strict: a newer release of the same format may add fields beside `record`. No record schema has `format` and `record` keys.
const EnvelopeSchema = z.object({ format: z.number().int().min(0), record: z.unknown() }).refine((envelope) => envelope.record !== undefined);

/**
 * A record as a store writes it: JSON of the record in the current format's
 * envelope. A record kind whose shape changed so that an older release would
 * misread it is written in the next major format (`format`), which older
 * releases refuse; a change they can read by dropping what they do not know
 * keeps the format.
 */
export function encodeRecord(record: unknown, format: number = RECORD_FORMAT): string {
  return JSON.stringify({ format, record });
}

type UnknownKeys = { path: readonly PropertyKey[]; keys: readonly string[] };

/** The unknown keys among `issues`, or undefined when any issue is something else. Union issues are searched per option. */
function unknownKeysOnly(issues: readonly z.core.$ZodIssue[], base: readonly PropertyKey[]): UnknownKeys[] | undefined {
  const found: UnknownKeys[] = [];
  for (const issue of issues) {
    const path = [...base, ...issue.path];
    if (issue.code === "unrecognized_keys") found.push({ path, keys: issue.keys });
    else if (issue.code === "invalid_union") {
      // The first option that fails only on unknown keys is the one the record was meant as.
      const option = issue.errors.map((optionIssues) => unknownKeysOnly(optionIssues, path)).find((keys) => keys !== undefined && keys.length > 0);
      if (option === undefined) return undefined;
      found.push(...option);
    } else return undefined;
  }
  return found;
}

/**
 * Parses `value` with a strict `schema`, dropping the fields (nested too) it
 * does not know: a newer release of the same major format may write them. A
 * wrong or missing known field still fails, as the returned result says.
 */
export function parseKnownFields<S extends z.ZodType>(schema: S, value: unknown): z.ZodSafeParseResult<z.output<S>> {
  let candidate = value;
  // Each round removes the unknown keys zod reports; nested objects may report only in later rounds.
  for (let round = 0; round < 8; round++) {
    const result = schema.safeParse(candidate);
    if (result.success) return result;
    const unknown = unknownKeysOnly(result.error.issues, []);
    if (unknown === undefined || unknown.length === 0) return result;
    candidate = structuredClone(candidate);
    for (const { path, keys } of unknown) {
      let target: unknown = candidate;
      for (const key of path) target = (target as Record<PropertyKey, unknown>)[key];
      for (const key of keys) delete (target as Record<string, unknown>)[key];
    }
  }
  return schema.safeParse(candidate);
}

/**
 * Parses a stored document with `schema`, in the current format or as a bare
 * format-0 record. A document that is not JSON, carries a newer format, or
 * fails the schema is a `corrupt_store` error naming what is wrong. Fields a
 * record of a known format has that this release does not know are dropped.
 *
 * A record kind stored in several major formats passes the schema of each
 * (`schema(format)`, format 0 and 1 included) and the newest it reads.
 *
 * @param what What the record is, for the message: "edge case read from Chroma" …
 */
export function decodeRecord<S extends z.ZodType>(
  schema: S | ((format: number) => S),
  document: string | null | undefined,
  what: string,
  newestFormat: number = RECORD_FORMAT,
): z.output<S> {
  const schemaOf = (format: number): S => (typeof schema === "function" ? schema(format) : schema);
  let value: unknown;
  try {
    value = JSON.parse(document ?? "");
  } catch (cause) {
    throw new LessonloopError(
      "corrupt_store",
      `A ${what} is not valid JSON; the store was written by something else or damaged. Delete the record or the collection and add it again.`,
      { cause },
    );
  }
  // Today's record schemas are strict objects without a `format` field, so the envelope cannot be mistaken for a bare record.
  let format = 0;
  const envelope = EnvelopeSchema.safeParse(value);
  if (envelope.success) {
    if (envelope.data.format > newestFormat) {
      throw new LessonloopError(
        "corrupt_store",
        `A ${what} is in record format ${envelope.data.format}, newer than the ${newestFormat} this version reads. Upgrade lessonloop to read it.`,
        { details: { format: envelope.data.format, readable: newestFormat } },
      );
    }
    format = envelope.data.format;
    value = envelope.data.record;
    // Format 1 and later may carry fields this release does not know; a bare format-0 record never does.
    const known = parseKnownFields(schemaOf(format), value);
    if (known.success) return known.data;
  }
  try {
    return parseWith(schemaOf(format), value, what);
  } catch (cause) {
    const message = LessonloopError.isInstance(cause) ? cause.message : `Invalid ${what}.`;
    throw new LessonloopError("corrupt_store", `${message}. The store was written by something else or damaged.`, {
      cause,
      details: LessonloopError.isInstance(cause) ? cause.details : {},
    });
  }
}
