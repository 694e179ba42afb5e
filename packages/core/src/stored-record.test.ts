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

  it("reads a record kind stored in several major formats with each format's schema, and refuses a format newer than it reads", async () => {
    // Format 2 of this kind dropped `input` (as snapshot records dropped their inline change); 0 and 1 still carry it.
    const WithoutInput = EdgeCaseSchema.omit({ input: true });
    const { input: _input, ...withoutInput } = stored;
    const byFormat = (format: number) => (format >= 2 ? WithoutInput : EdgeCaseSchema);
    const read = (document: string) => decodeRecord<typeof EdgeCaseSchema | typeof WithoutInput>(byFormat, document, "edge case", 2);
    expect(read(encodeRecord(withoutInput, 2))).toEqual(withoutInput);
    expect(read(encodeRecord(stored))).toEqual(stored);
    expect(read(JSON.stringify(stored))).toEqual(stored);
    // A format-1 record without the field is damaged, not a format-2 one.
    expect(LessonloopError.isInstance(await rejectionOf(async () => read(encodeRecord(withoutInput))), "corrupt_store")).toBe(true);
    const newer = await rejectionOf(async () => read(encodeRecord(withoutInput, 3)));
    expect((newer as Error).message).toMatch(/format 3, newer than the 2 .* Upgrade/);
    // A reader of format 1 only refuses format 2, saying to upgrade.
    expect((await rejectionOf(async () => decode(encodeRecord(withoutInput, 2))) as Error).message).toMatch(/format 2, newer than the 1 .* Upgrade/);
  });
});
