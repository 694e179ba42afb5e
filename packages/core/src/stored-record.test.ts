import { describe, expect, it } from "vitest";
import { EdgeCaseSchema } from "./edge-case.js";
import { LessonloopError } from "./errors.js";
import { RECORD_FORMAT, decodeRecord, encodeRecord } from "./stored-record.js";
import { edgeCaseFixture } from "./conformance/store-fixtures.js";
import { rejectionOf } from "./testing/rejection-of.js";

const stored = EdgeCaseSchema.parse(edgeCaseFixture("case-1"));
const decode = (document: string) => decodeRecord(EdgeCaseSchema, document, "edge case");

describe("stored records", () => {
  it("writes the record in the current format's envelope and reads it back", () => {
    const document = encodeRecord(stored);
    expect(JSON.parse(document)).toEqual({ format: RECORD_FORMAT, record: stored });
    expect(decode(document)).toEqual(stored);
  });

  it("reads a record written before formats were recorded (format 0: the bare record)", () => {
    // Byte for byte what the stores wrote before the envelope.
    const today = '{"id":"case-1","input":"refund order case-1","check":{"type":"answer","mustContain":["refund"],"mustNotContain":[]},"kind":"must_pass","scope":{"tenant":"acme"},"tags":[],"createdAt":"2026-01-01T00:00:00.000Z"}';
    expect(decode(today)).toEqual(stored);
  });

  it("refuses a newer format, bad JSON and a record that does not parse as corrupt_store, naming what is wrong", async () => {
    const newer = await rejectionOf(async () => decode(JSON.stringify({ format: RECORD_FORMAT + 1, record: stored })));
    expect(LessonloopError.isInstance(newer, "corrupt_store")).toBe(true);
    expect((newer as Error).message).toMatch(/newer .* Upgrade/);
    expect(LessonloopError.isInstance(await rejectionOf(async () => decode("{not json")), "corrupt_store")).toBe(true);
    const bad = await rejectionOf(async () => decode(encodeRecord({ ...stored, input: 42 })));
    expect(LessonloopError.isInstance(bad, "corrupt_store")).toBe(true);
    expect((bad as Error).message).toContain("input");
  });
});
