import { InMemoryLessonMemory, createLexicalEmbedder } from "@lessonloop/core";
import { lessonFixture } from "@lessonloop/core/conformance";
import { createManualClock } from "@lessonloop/core/testing";
import { describe, expect, it } from "vitest";
import { describeDiff, describeSnapshot, rollbackTo } from "./snapshot-operations.js";

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
