import { LessonloopError, createLexicalEmbedder, type EdgeCaseInput, type LessonInput, type Verdict } from "@lessonloop/core";
import { lessonFixture } from "@lessonloop/core/conformance";
import { ChromaEdgeCaseStore, ChromaLessonMemory } from "@lessonloop/chroma";
import { uniqueCollectionName } from "@lessonloop/chroma/testing";
import { END, START, StateGraph } from "@langchain/langgraph";
import { describe, expect, inject, it } from "vitest";
import { MergeStateAnnotation, createMergeNode } from "./merge-node.js";

const TIME = "2026-01-01T00:00:00.000Z";
const embedder = createLexicalEmbedder();

async function stores() {
  const url = inject("chromaUrl");
  const [memory, edgeCaseStore] = await Promise.all([
    ChromaLessonMemory.open({ url, name: uniqueCollectionName("merge-node"), embedder }),
    ChromaEdgeCaseStore.open({ url, collection: uniqueCollectionName("merge-node-cases"), embedder }),
  ]);
  // The memory starts with one unrelated lesson, so "unchanged" is not trivially empty.
  await memory.commit({ add: [lessonFixture("existing")], reason: "seed", author: "tester" });
  return { memory, edgeCaseStore, node: createMergeNode({ memory, edgeCaseStore }) };
}

function verdictFor(lessonId: string, decision: Verdict["decision"] = "approved"): Verdict {
  return {
    lessonId,
    decision,
    policy: { name: "supermajority", quorum: 3, threshold: 0.66 },
    tally: decision === "approved" ? { approve: 3, reject: 0, abstain: 1 } : { approve: 1, reject: 2, abstain: 1 },
    votes: ["a", "b", "c"].map((validator) => ({
      validator,
      lessonId,
      decision: decision === "approved" ? "approve" : "reject",
      reason: "replayed the cases",
      evidence: [{ caseId: "case-refund-cents", passedWithout: false, passedWith: decision === "approved" }],
      castAt: TIME,
    })),
    reason: "the lesson fixes the refund case and keeps the rest passing",
    decidedAt: TIME,
  };
}

const lesson: LessonInput = lessonFixture("refund-in-cents", {
  trigger: "when issuing a refund through the payments API",
  guidance: "send the amount in cents as an integer",
  status: "validating",
});

const edgeCases: EdgeCaseInput[] = [
  {
    id: "case-refund-cents",
    input: "Refund 12.50 EUR on order 991",
    check: { type: "tool_call", name: "refund", args: { amount: 1250 } },
    kind: "must_pass",
    originEpisode: "episode-7",
    scope: { tenant: "acme" },
    createdAt: TIME,
  },
  {
    id: "case-refund-full",
    input: "Refund order 992 in full",
    check: { type: "tool_call", name: "refund", args: {} },
    kind: "regression",
    scope: { tenant: "acme" },
    createdAt: TIME,
  },
];

async function errorOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error("expected an error");
}

describe("createMergeNode (real Chroma)", () => {
  it("commits an approved lesson as one snapshot and stores its edge cases", async () => {
    const { memory, edgeCaseStore, node } = await stores();
    const { mergeResult } = await node({ verdict: verdictFor(lesson.id), lesson, edgeCases });

    expect(mergeResult).toMatchObject({ status: "merged", lessonId: "refund-in-cents", edgeCases: 2 });
    expect(await memory.headVersion()).toBe(2);
    const [head] = await memory.history({ limit: 1 });
    expect(head).toMatchObject({ version: 2, parent: 1, kind: "commit", author: "validator-ensemble", change: { added: ["refund-in-cents"], retired: [] } });
    expect(head?.reason).toContain("approved under supermajority (quorum 3, threshold 0.66), 3 approve / 0 reject / 1 abstain");
    expect((await memory.list()).map((stored) => stored.id)).toEqual(["existing", "refund-in-cents"]);
    expect((await memory.get("refund-in-cents")).status).toBe("approved");
    // The lesson is found for the task it was learned on.
    const [found] = await memory.search({ query: "refund 12.50 EUR through the payments API", scope: { tenant: "acme" }, k: 1 });
    expect(found?.lesson.id).toBe("refund-in-cents");

    expect(await edgeCaseStore.count()).toBe(2);
    expect((await edgeCaseStore.get("case-refund-cents")).check).toEqual({ type: "tool_call", name: "refund", args: { amount: 1250 } });
  });

  it("writes nothing for a rejected verdict", async () => {
    const { memory, edgeCaseStore, node } = await stores();
    const { mergeResult } = await node({ verdict: verdictFor(lesson.id, "rejected"), lesson, edgeCases });
    expect(mergeResult).toEqual({ status: "rejected", lessonId: "refund-in-cents" });
    expect(await memory.headVersion()).toBe(1);
    expect((await memory.list()).map((stored) => stored.id)).toEqual(["existing"]);
    expect(await edgeCaseStore.count()).toBe(0);
  });

  it("refuses a verdict about another lesson with a typed error, writing nothing", async () => {
    const { memory, edgeCaseStore, node } = await stores();
    const error = await errorOf(node({ verdict: verdictFor("some-other-lesson"), lesson, edgeCases }));
    expect(LessonloopError.isInstance(error, "invalid_input")).toBe(true);
    expect((error as LessonloopError).message).toMatch(/verdict\.lessonId: is "some-other-lesson" but the lesson is "refund-in-cents"/);
    expect(await memory.headVersion()).toBe(1);
    expect(await edgeCaseStore.count()).toBe(0);
  });

  it("refuses a missing verdict or a malformed edge case before writing anything", async () => {
    const { memory, edgeCaseStore, node } = await stores();
    const missing = await errorOf(node({ verdict: undefined, lesson, edgeCases }));
    expect(LessonloopError.isInstance(missing, "invalid_input")).toBe(true);
    expect((missing as LessonloopError).message).toMatch(/verdict/);
    const badCase = { ...edgeCases[0], input: "" } as EdgeCaseInput;
    const malformed = await errorOf(node({ verdict: verdictFor(lesson.id), lesson, edgeCases: [badCase] }));
    expect((malformed as LessonloopError).message).toMatch(/edgeCases\.0\.input/);
    expect(await memory.headVersion()).toBe(1);
    expect(await edgeCaseStore.count()).toBe(0);
  });

  it("answers a retry of the same merge with the earlier snapshot, and refuses a different lesson under the same id", async () => {
    const { memory, node } = await stores();
    const first = await node({ verdict: verdictFor(lesson.id), lesson, edgeCases });
    const retry = await node({ verdict: verdictFor(lesson.id), lesson, edgeCases });
    expect(retry.mergeResult).toMatchObject({ status: "already_merged", lessonId: "refund-in-cents", edgeCases: 2 });
    if (first.mergeResult.status !== "merged" || retry.mergeResult.status !== "already_merged") throw new Error("unexpected statuses");
    expect(retry.mergeResult.snapshot).toEqual(first.mergeResult.snapshot);
    expect(await memory.headVersion()).toBe(2);

    const changed = { ...lesson, guidance: "send the amount in euros" };
    const conflict = await errorOf(node({ verdict: verdictFor(lesson.id), lesson: changed, edgeCases: [] }));
    expect(LessonloopError.isInstance(conflict, "conflict")).toBe(true);
    expect(await memory.headVersion()).toBe(2);
  });

  it("keeps the edge cases when the commit fails after them, and a retry then merges", async () => {
    const { memory, edgeCaseStore, node } = await stores();
    const superseding = { ...lesson, supersedes: ["never-merged"] };
    const error = await errorOf(node({ verdict: verdictFor(lesson.id), lesson: superseding, edgeCases }));
    expect(LessonloopError.isInstance(error, "not_found")).toBe(true);
    expect(await memory.headVersion()).toBe(1);
    expect(await edgeCaseStore.count()).toBe(2);

    const { mergeResult } = await node({ verdict: verdictFor(lesson.id), lesson, edgeCases });
    expect(mergeResult.status).toBe("merged");
    expect(await edgeCaseStore.count()).toBe(2);
  });

  it("runs as a node of a LangGraph graph", async () => {
    const { memory, node } = await stores();
    const graph = new StateGraph(MergeStateAnnotation).addNode("merge", node).addEdge(START, "merge").addEdge("merge", END).compile();
    const state = await graph.invoke({ verdict: verdictFor(lesson.id), lesson, edgeCases });
    expect(state.mergeResult).toMatchObject({ status: "merged", snapshot: { version: 2 } });
    expect(await memory.headVersion()).toBe(2);
  });
});
