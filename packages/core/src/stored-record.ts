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

const EnvelopeSchema = z.object({ format: z.number().int().min(0), record: z.unknown() }).strict();

/** A record as a store writes it: JSON of the record in the current format's envelope. */
export function encodeRecord(record: unknown): string {
  return JSON.stringify({ format: RECORD_FORMAT, record });
}

/**
 * Parses a stored document with `schema`, in the current format or as a bare
 * format-0 record. A document that is not JSON, carries a newer format, or
 * fails the schema is a `corrupt_store` error naming what is wrong.
 *
 * @param what What the record is, for the message: "edge case read from Chroma" …
 */
export function decodeRecord<S extends z.ZodType>(schema: S, document: string | null | undefined, what: string): z.output<S> {
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
  const envelope = EnvelopeSchema.safeParse(value);
  if (envelope.success) {
    if (envelope.data.format > RECORD_FORMAT) {
      throw new LessonloopError(
        "corrupt_store",
        `A ${what} is in record format ${envelope.data.format}, newer than the ${RECORD_FORMAT} this version reads. Upgrade lessonloop to read it.`,
        { details: { format: envelope.data.format, readable: RECORD_FORMAT } },
      );
    }
    value = envelope.data.record;
  }
  try {
    return parseWith(schema, value, what);
  } catch (cause) {
    const message = LessonloopError.isInstance(cause) ? cause.message : `Invalid ${what}.`;
    throw new LessonloopError("corrupt_store", `${message}. The store was written by something else or damaged.`, {
      cause,
      details: LessonloopError.isInstance(cause) ? cause.details : {},
    });
  }
}
