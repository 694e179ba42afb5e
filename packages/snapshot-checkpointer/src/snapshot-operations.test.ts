import { InMemoryLessonMemory, LessonSchema, type Verdict } from "@lessonloop/core";
import { lessonFixture } from "@lessonloop/core/conformance";
import { createManualClock } from "@lessonloop/core/testing";
import { createLexicalEmbedder } from "@lessonloop/chroma";
import { describe, expect, it } from "vitest";
import { describeDiff, describeSnapshot, rollbackTo, withMergeDecision } from "./snapshot-operations.js";

async function memoryWithHistory() {
  const memory = new InMemoryLessonMemory({ embedder: createLexicalEmbedder(), clock: createManualClock() });
  await memory.commit({ add: [lessonFixture("a"), lessonFixture("b")], reason: "first two", author: "ana" });
  await memory.commit({ add: [lessonFixture("c", { supersedes: ["a"] })], reason: "c replaces a\nwith more detail below", author: "bob" });
  return memory;
}

describe("rollbackTo", () => {
  it("appends a rollback snapshot and says what it retired and restored", async () => {
    const memory = await memoryWithHistory();
    const { snapshot, diff } = await rollbackTo(memory, { to: 1, reason: "c hurt refunds", author: "ana" });
    expect(snapshot).toMatchObject({ version: 3, parent: 2, kind: "rollback", restores: 1, change: { added: ["a"], retired: ["c"] } });
    expect(diff.from).toBe(2);
    expect(diff.to).toBe(3);
    expect(diff.added.map((lesson) => lesson.id)).toEqual(["a"]);
    expect(diff.removed.map((lesson) => lesson.id)).toEqual(["c"]);
    // Nothing is deleted: every version still reads as it was.
    expect((await memory.list({ version: 2 })).map((lesson) => lesson.id)).toEqual(["b", "c"]);
    expect((await memory.list()).map((lesson) => lesson.id)).toEqual(["a", "b"]);
    expect((await memory.history()).map((entry) => entry.version)).toEqual([3, 2, 1, 0]);
  });

  it("passes on the memory's typed errors", async () => {
    const memory = await memoryWithHistory();
    await expect(rollbackTo(memory, { to: 2, reason: "no-op", author: "ana" })).rejects.toMatchObject({ code: "invalid_rollback" });
    await expect(rollbackTo(memory, { to: 9, reason: "future", author: "ana" })).rejects.toMatchObject({ code: "invalid_rollback" });
  });
});

describe("describeSnapshot / describeDiff", () => {
  it("renders one line a snapshot and a line a changed lesson", async () => {
    const memory = await memoryWithHistory();
    const { snapshot, diff } = await rollbackTo(memory, { to: 1, reason: "c hurt refunds", author: "ana" });
    expect(describeSnapshot(snapshot)).toBe("v3  rollback→v1  2026-01-01T00:00:00.000Z  ana  +1 −1  c hurt refunds");
    expect(describeSnapshot(await memory.snapshot(2), { reasonChars: 5 })).toBe("v2  commit  2026-01-01T00:00:00.000Z  bob  +1 −1  c re…");
    expect(describeDiff(diff).split("\n")).toEqual([
      "v2 → v3: 1 added, 1 removed",
      "+ a  [recovery]  when when a happens → handle a carefully",
      "− c  [recovery]  when when c happens → handle c carefully",
    ]);
  });
});

const T = "2026-01-01T00:00:00.000Z";
const vote = (validator: string, decision: "approve" | "reject" | "abstain", model?: string) => ({
  validator,
  lessonId: "l-1",
  decision,
  reason: "r",
  evidence: [],
  ...(model === undefined ? {} : { model }),
  castAt: T,
});

describe("withMergeDecision", () => {
  it("completes the lesson's provenance with the votes that merged it, and who approved it", () => {
    const lesson = LessonSchema.parse(lessonFixture("l-1"));
    const verdict: Verdict = {
      lessonId: "l-1",
      decision: "approved",
      policy: { name: "majority", quorum: 2, threshold: 0.5 },
      tally: { approve: 2, reject: 0, abstain: 1 },
      votes: [vote("peer-1", "approve", "gpt-4o-mini"), vote("peer-2", "approve"), vote("peer-3", "abstain")],
      reason: "majority",
      decidedAt: T,
    };
    const merged = LessonSchema.parse(withMergeDecision(lesson, verdict, "ops"));
    expect(merged.provenance).toEqual({
      ...lesson.provenance,
      merge: {
        policy: "majority",
        tally: { approve: 2, reject: 0, abstain: 1 },
        votes: [
          { validator: "peer-1", decision: "approve", model: "gpt-4o-mini" },
          { validator: "peer-2", decision: "approve" },
          { validator: "peer-3", decision: "abstain" },
        ],
        decidedAt: T,
        approvedBy: "ops",
      },
    });
    expect(merged.evidence).toEqual(lesson.evidence);
  });
});
