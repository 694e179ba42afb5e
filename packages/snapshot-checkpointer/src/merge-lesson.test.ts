import { InMemoryLessonMemory, LessonSchema, LessonloopError, createLexicalEmbedder, type EdgeCaseInput, type EdgeCaseStore, type Verdict } from "@lessonloop/core";
import { lessonFixture } from "@lessonloop/core/conformance";
import { createManualClock } from "@lessonloop/core/testing";
import { describe, expect, it } from "vitest";
import { mergeLesson, withMergeDecision } from "./merge-lesson.js";

const T = "2026-01-01T00:00:00.000Z";
const vote = (validator: string, decision: "approve" | "reject" | "abstain", model?: string) => ({
  validator,
  lessonId: "l-1",
  decision,
  reason: "r",
  evidence: [],
  model,
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

const verdict: Verdict = {
  lessonId: "l-1",
  decision: "approved",
  policy: { name: "majority", quorum: 2, threshold: 0.5 },
  tally: { approve: 2, reject: 0, abstain: 0 },
  votes: [vote("peer-1", "approve"), vote("peer-2", "approve")],
  reason: "majority",
  decidedAt: T,
};

const edgeCase: EdgeCaseInput = {
  id: "case-1",
  input: "Refund order 991",
  check: { type: "answer", mustContain: ["refunded"] },
  kind: "must_pass",
  originEpisode: "episode-1",
  scope: { tenant: "acme" },
  createdAt: T,
};

/** An edge-case store that records, for each `add`, the cases and the memory's head at that moment. */
function recordingStore(memory: InMemoryLessonMemory) {
  const adds: { ids: string[]; headAtAdd: number }[] = [];
  const unused = () => Promise.reject(new Error("not used by mergeLesson"));
  const store: EdgeCaseStore = {
    async add(cases) {
      adds.push({ ids: cases.map((item) => item.id), headAtAdd: await memory.headVersion() });
    },
    get: unused,
    findRelevant: unused,
    count: unused,
  };
  return { store, adds };
}

describe("mergeLesson", () => {
  const memoryOf = () => new InMemoryLessonMemory({ embedder: createLexicalEmbedder(), clock: createManualClock() });

  it("stores the edge cases first, then commits the lesson approved with the votes that merged it", async () => {
    const memory = memoryOf();
    const { store, adds } = recordingStore(memory);
    const lesson = LessonSchema.parse(lessonFixture("l-1", { status: "validating" }));
    const { snapshot, alreadyMerged } = await mergeLesson(memory, {
      lesson,
      reason: "approved",
      author: "ops",
      verdict,
      approvedBy: "ana",
      edgeCases: [edgeCase],
      edgeCaseStore: store,
    });
    expect(alreadyMerged).toBe(false);
    expect(snapshot).toMatchObject({ version: 1, author: "ops", reason: "approved", change: { added: ["l-1"] } });
    expect(adds).toEqual([{ ids: ["case-1"], headAtAdd: 0 }]);
    const merged = await memory.get("l-1");
    expect(merged.status).toBe("approved");
    expect(merged.provenance.merge).toMatchObject({ policy: "majority", approvedBy: "ana", votes: [{ validator: "peer-1" }, { validator: "peer-2" }] });
  });

  it("without a verdict commits the lesson as it is, approved, and answers a retry with the same snapshot", async () => {
    const memory = memoryOf();
    const lesson = LessonSchema.parse(lessonFixture("l-1"));
    const first = await mergeLesson(memory, { lesson, reason: "as proposed", author: "ops" });
    expect((await memory.get("l-1")).provenance).toEqual(lesson.provenance);
    const again = await mergeLesson(memory, { lesson, reason: "as proposed", author: "ops" });
    expect(again).toEqual({ snapshot: first.snapshot, alreadyMerged: true });
    expect(await memory.headVersion()).toBe(1);
  });

  it("refuses edge cases with nowhere to store them, before writing anything", async () => {
    const memory = memoryOf();
    const lesson = LessonSchema.parse(lessonFixture("l-1"));
    const error: unknown = await mergeLesson(memory, { lesson, reason: "r", author: "ops", edgeCases: [edgeCase] }).catch((caught: unknown) => caught);
    expect(LessonloopError.isInstance(error, "invalid_input")).toBe(true);
    expect(await memory.headVersion()).toBe(0);
  });

  it("checks for a repeat on the head it commits onto: a lesson another writer merges between the check and the commit is found on the retry, and nothing is committed", async () => {
    const memory = memoryOf();
    const lesson = LessonSchema.parse(lessonFixture("l-1"));
    const other = LessonSchema.parse(lessonFixture("l-other"));
    const heads: number[] = [];
    const result = await mergeLesson(memory, {
      lesson,
      reason: "approved",
      author: "worker-a",
      async nearDuplicateAt(_candidate, head) {
        heads.push(head);
        if (head === 0) {
          // Another worker's merge lands after this check and before this commit.
          await memory.commit({ add: [other], reason: "the same lesson, from another episode", author: "worker-b" });
          return undefined;
        }
        return { existing: await memory.get("l-other"), relation: "same", score: 0.9 };
      },
    });
    expect(heads).toEqual([0, 1]);
    expect(result.duplicateOf).toMatchObject({ existing: { id: "l-other" }, relation: "same", score: 0.9 });
    expect(result.snapshot.version).toBe(1);
    expect((await memory.list()).map((live) => live.id)).toEqual(["l-other"]);
  });

  it("makes a refinement of a lesson merged meanwhile supersede it, when its scope covers that lesson's", async () => {
    const memory = memoryOf();
    await memory.commit({ add: [LessonSchema.parse(lessonFixture("l-old", { scope: { tenant: "acme", agent: "billing" } }))], reason: "merged meanwhile", author: "worker-b" });
    const lesson = LessonSchema.parse(lessonFixture("l-1"));
    const result = await mergeLesson(memory, {
      lesson,
      reason: "approved",
      author: "worker-a",
      nearDuplicateAt: async () => ({ existing: await memory.get("l-old"), relation: "refines", score: 0.7 }),
    });
    expect(result.duplicateOf).toBeUndefined();
    expect(result.snapshot.change).toEqual({ added: ["l-1"], retired: ["l-old"] });
    expect((await memory.get("l-1")).supersedes).toEqual(["l-old"]);
  });

  it("merges a lesson beside the refinement another writer merged meanwhile of the lesson both refine, retiring nothing twice", async () => {
    const memory = memoryOf();
    await memory.commit({ add: [LessonSchema.parse(lessonFixture("l-old"))], reason: "live", author: "ops" });
    // Another worker's refinement of l-old lands first and retires it.
    await memory.commit({ add: [LessonSchema.parse(lessonFixture("l-a", { supersedes: ["l-old"] }))], reason: "worker b", author: "worker-b" });
    const lesson = LessonSchema.parse(lessonFixture("l-b", { supersedes: ["l-old"] }));
    const result = await mergeLesson(memory, { lesson, reason: "approved", author: "worker-a", nearDuplicateAt: async () => undefined });
    expect(result.snapshot.change).toEqual({ added: ["l-b"], retired: [] });
    expect((await memory.list()).map((live) => live.id)).toEqual(["l-a", "l-b"]);
  });

  it("answers a retry of a merge that superseded a lesson with the earlier snapshot", async () => {
    const memory = memoryOf();
    await memory.commit({ add: [LessonSchema.parse(lessonFixture("l-old"))], reason: "live", author: "ops" });
    const lesson = LessonSchema.parse(lessonFixture("l-new", { supersedes: ["l-old"] }));
    const request = { lesson, reason: "approved", author: "worker-a", nearDuplicateAt: async () => undefined };
    const first = await mergeLesson(memory, request);
    const again = await mergeLesson(memory, request);
    expect(again).toEqual({ snapshot: first.snapshot, alreadyMerged: true });
    expect(first.snapshot.change).toEqual({ added: ["l-new"], retired: ["l-old"] });
  });
});

