import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import type { z } from "zod";
import { EdgeCaseSchema } from "./edge-case.js";
import { LessonloopError } from "./errors.js";
import { ExampleSchema } from "./example.js";
import { LessonSchema } from "./lesson.js";
import { PendingLessonSchema } from "./pending-lesson-store.js";
import { SnapshotSchema } from "./snapshot.js";
import { RECORD_FORMAT, decodeRecord } from "./stored-record.js";
import { rejectionOf } from "./testing/rejection-of.js";
import { VerdictSchema } from "./verdict.js";

// Records as this release's stores write them, kept byte for byte so every later release must read them.
const fixtures = JSON.parse(readFileSync(new URL("./tests/fixtures/stored-records-format-1.json", import.meta.url), "utf8")) as Record<string, string>;
const schemas: Record<string, z.ZodType> = {
  lesson: LessonSchema,
  snapshot: SnapshotSchema,
  edgeCase: EdgeCaseSchema,
  verdict: VerdictSchema,
  pending: PendingLessonSchema,
  example: ExampleSchema,
};

/** What a newer release of the same format may write: a field this release does not know in every object, at every depth. */
function withFieldsAddedEverywhere(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withFieldsAddedEverywhere);
  if (typeof value !== "object" || value === null) return value;
  const copy = Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, withFieldsAddedEverywhere(inner)]));
  return { ...copy, addedLater: { note: "a field of a newer release", count: 2 } };
}

function countAdded(value: unknown): number {
  if (Array.isArray(value)) return value.reduce((sum: number, inner) => sum + countAdded(inner), 0);
  if (typeof value !== "object" || value === null) return 0;
  return Object.entries(value).reduce((sum, [key, inner]) => sum + (key === "addedLater" ? 1 : countAdded(inner)), 0);
}

describe("stored records across releases of one format", () => {
  for (const [name, document] of Object.entries(fixtures)) {
    const schema = schemas[name] as z.ZodType;

    it(`reads today's ${name} record`, () => {
      expect(decodeRecord(schema, document, name)).toEqual(schema.parse((JSON.parse(document) as { record: unknown }).record));
    });

    it(`reads a ${name} record with unknown fields at every depth (a newer release of format ${RECORD_FORMAT}), dropping them`, () => {
      const today = decodeRecord(schema, document, name);
      const { format, record } = JSON.parse(document) as { format: number; record: unknown };
      const newer = { format, record: withFieldsAddedEverywhere(record), writtenBy: "a newer release" };
      expect(countAdded(newer.record)).toBeGreaterThanOrEqual(2); // nested ones too
      expect(decodeRecord(schema, JSON.stringify(newer), name)).toEqual(today);
    });
  }

  it("still refuses a wrong known field beside unknown ones, naming it", async () => {
    const { record } = JSON.parse(fixtures.edgeCase as string) as { record: Record<string, unknown> };
    const error = await rejectionOf(async () =>
      decodeRecord(EdgeCaseSchema, JSON.stringify({ format: RECORD_FORMAT, record: { ...record, input: 42, addedLater: true } }), "edge case"),
    );
    expect(LessonloopError.isInstance(error, "corrupt_store")).toBe(true);
    expect((error as Error).message).toContain("input");
  });

  it("refuses a newer major format with unknown fields as corrupt_store saying to upgrade", async () => {
    const { record } = JSON.parse(fixtures.lesson as string) as { record: unknown };
    const error = await rejectionOf(async () => decodeRecord(LessonSchema, JSON.stringify({ format: RECORD_FORMAT + 1, record: withFieldsAddedEverywhere(record) }), "lesson"));
    expect(LessonloopError.isInstance(error, "corrupt_store")).toBe(true);
    expect((error as Error).message).toMatch(/format 2, newer .* Upgrade lessonloop/);
  });
});
