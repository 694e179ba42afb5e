import { InMemoryLessonMemory, createLexicalEmbedder, type EpisodeInput, type Scope } from "@lessonloop/core";
import { lessonFixture } from "@lessonloop/core/conformance";
import { InMemoryExampleStore } from "@lessonloop/core/internal";
import { createManualClock } from "@lessonloop/core/testing";
import { describe, expect, it } from "vitest";
import { createExampleRecorder, type ExampleRecordingParams } from "./example-recorder.js";

const ANA: Scope = { tenant: "acme", user: "ana" };
const BOB: Scope = { tenant: "acme", user: "bob" };

function episode(id: string, input: string, scope: Scope, { memoryVersion = 0, startedAt = "2026-01-01T00:00:00.000Z", ok = true } = {}): EpisodeInput {
  return {
    id,
    input,
    trajectory: [
      { type: "message", role: "user", content: input },
      { type: "tool_call", id: `${id}-c1`, name: "create_invoice", args: { customer: "ACME", amount_cents: 1250 } },
      { type: "tool_result", callId: `${id}-c1`, name: "create_invoice", content: ok ? "Invoice INV-1 created" : "Error: amount_cents rejected", isError: !ok },
      { type: "message", role: "assistant", content: ok ? "Created invoice INV-1." : "I could not do it." },
    ],
    outcome: { status: "unknown", signal: { source: "none", detail: "" } },
    scope,
    memoryVersion,
    startedAt,
  };
}

function setUp(params: ExampleRecordingParams = {}) {
  const embedder = createLexicalEmbedder();
  const clock = createManualClock("2026-01-01T00:00:00.000Z");
  const store = new InMemoryExampleStore({ embedder });
  const memory = new InMemoryLessonMemory({ embedder, clock });
  const recorder = createExampleRecorder({ ...params, store, memory });
  const served = async (scope: Scope, query: string, version?: number) =>
    (await store.search({ query, scope, k: 10, ...(version === undefined ? {} : { version }) })).map(({ example }) => example.id).sort();
  return { store, memory, recorder, served };
}

const TASK = "Create an invoice for ACME of 12.50 EUR";

describe("createExampleRecorder", () => {
  it("keeps a success as a condensed example in the run's scope, recorded at the run's memory version", async () => {
    const { store, recorder } = setUp();
    const recording = await recorder.record(episode("e1", TASK, ANA, { memoryVersion: 3 }), "success");
    expect(recording).toEqual({ status: "added", exampleId: "example-e1", evicted: [] });
    expect(await store.get("example-e1")).toMatchObject({
      scope: ANA,
      input: TASK,
      steps: ['call create_invoice({"customer":"ACME","amount_cents":1250})', 'create_invoice → <tool_output untrusted="true">Invoice INV-1 created</tool_output>', "assistant: Created invoice INV-1."],
      episodes: ["e1"],
      strength: 1,
      recordedAt: 3,
    });
  });

  it("strengthens the example of a near-identical successful run of the same scope instead of adding one; another user's run adds its own", async () => {
    const { store, recorder } = setUp();
    await recorder.record(episode("e1", TASK, ANA), "success");
    expect(await recorder.record(episode("e2", `${TASK}.`, ANA, { memoryVersion: 2, startedAt: "2026-01-01T00:01:00.000Z" }), "success")).toEqual({ status: "strengthened", exampleId: "example-e1", strength: 2 });
    // The same episode again (a retried learning) counts once.
    expect(await recorder.record(episode("e2", TASK, ANA), "success")).toEqual({ status: "strengthened", exampleId: "example-e1", strength: 2 });
    const strengthened = await store.get("example-e1");
    expect(strengthened).toMatchObject({ episodes: ["e1", "e2"], strength: 2, recordedAt: 0, reinforcedAt: "2026-01-01T00:01:00.000Z" });
    expect((await recorder.record(episode("b1", TASK, BOB), "success")).status).toBe("added");
    expect((await recorder.record(episode("e3", "Refund 5.00 EUR on order A-1", ANA), "success")).status).toBe("added");
    expect(await store.count()).toBe(3);
  });

  it("bounds the live examples of a scope, removing the weakest and then the least recently strengthened", async () => {
    const { store, recorder } = setUp({ maxPerScope: 2 });
    const at = (second: number) => ({ startedAt: new Date(Date.UTC(2026, 0, 1, 0, 0, second)).toISOString() });
    await recorder.record(episode("e1", TASK, ANA, at(0)), "success");
    await recorder.record(episode("e2", TASK, ANA, at(1)), "success"); // strengthens example-e1
    await recorder.record(episode("r1", "Refund 5.00 EUR on order A-1", ANA, at(2)), "success"); // example-r1
    const third = await recorder.record(episode("s1", "Ship the parcel to Berlin by courier", ANA, at(3)), "success"); // example-s1 pushes example-r1 out
    expect(third).toEqual({ status: "added", exampleId: "example-s1", evicted: ["example-r1"] });
    expect((await store.list({ scope: ANA })).map((example) => example.id)).toEqual(["example-e1", "example-s1"]);
    // Bob's scope has its own bound.
    await recorder.record(episode("b1", TASK, BOB), "success");
    expect(await store.count()).toBe(3);
  });

  it("a failure on a similar task after an example makes it stale from the head on; runs pinned earlier still see it; other users' examples are untouched", async () => {
    const { memory, recorder, served, store } = setUp();
    await recorder.record(episode("e1", TASK, ANA), "success");
    await recorder.record(episode("b1", TASK, BOB), "success");
    await memory.commit({ add: [lessonFixture("l1", { scope: { tenant: "acme" } })], reason: "a lesson", author: "tester" });
    const failed = await recorder.record(episode("e9", TASK, ANA, { memoryVersion: 1, startedAt: "2026-01-02T00:00:00.000Z", ok: false }), "failure");
    expect(failed).toEqual({ status: "marked_stale", exampleIds: ["example-e1"] });
    expect(await store.get("example-e1")).toMatchObject({ staleSince: 1, staleReason: "similar_failure", staleBy: "e9" });
    expect(await served(ANA, TASK)).toEqual([]);
    expect(await served(ANA, TASK, 0)).toEqual(["example-e1"]);
    expect(await served(BOB, TASK)).toEqual(["example-b1"]);
    // A dissimilar failure, and a failure that started before the example existed, change nothing.
    await recorder.record(episode("b2", "Ship the parcel to Berlin by courier", BOB, { startedAt: "2026-01-02T00:00:00.000Z", ok: false }), "failure");
    await recorder.record(episode("b3", TASK, BOB, { startedAt: "2025-12-31T00:00:00.000Z", ok: false }), "failure");
    expect(await served(BOB, TASK)).toEqual(["example-b1"]);
    // A new success after the drift is a new example, not a strengthening of the stale one.
    expect(await recorder.record(episode("e10", TASK, ANA, { memoryVersion: 1 }), "success")).toMatchObject({ status: "added", exampleId: "example-e10" });
  });

  it("a rollback past an example's recording version makes it stale from the rollback's version, within the rollback's scope only", async () => {
    const { memory, recorder, served, store } = setUp();
    await memory.commit({ add: [lessonFixture("l1", { scope: { tenant: "acme" } })], reason: "v1", author: "tester" });
    await memory.commit({ add: [lessonFixture("l2", { scope: { tenant: "acme" } })], reason: "v2", author: "tester" });
    await recorder.record(episode("early", "Refund 5.00 EUR on order A-1", ANA, { memoryVersion: 1 }), "success"); // example-early
    await recorder.record(episode("late", TASK, ANA, { memoryVersion: 2 }), "success"); // example-late
    await recorder.record(episode("other", TASK, { tenant: "globex" }, { memoryVersion: 2 }), "success"); // example-other
    const rollback = await memory.rollback({ to: 1, scope: { tenant: "acme" }, reason: "v2 hurt", author: "tester" });
    // Seen at the next judged episode (the regression monitor's rollbacks: in the same step), or by an explicit look.
    expect(await recorder.reconcileRollbacks()).toEqual(["example-late"]);
    expect(await store.get("example-late")).toMatchObject({ staleSince: rollback.version, staleReason: "rollback", staleBy: `v${rollback.version}` });
    expect(await served(ANA, TASK)).toEqual(["example-early"]);
    expect(await served(ANA, TASK, 2)).toEqual(["example-early", "example-late"]);
    expect(await served({ tenant: "globex" }, TASK)).toEqual(["example-other"]);
    expect(await recorder.reconcileRollbacks()).toEqual([]);
  });

  it("records nothing for an unjudged run or one without steps to show", async () => {
    const { store, recorder } = setUp();
    expect(await recorder.record(episode("u1", TASK, ANA), "unknown")).toEqual({ status: "skipped", reason: "not_judged" });
    expect(await recorder.record({ ...episode("u2", TASK, ANA), trajectory: [{ type: "message", role: "user", content: TASK }] }, "success")).toEqual({
      status: "skipped",
      reason: "no_steps",
    });
    expect(await store.count()).toBe(0);
  });
});

describe("createExampleRecorder on flagged runs", () => {
  it("does not keep a success the critic flagged", async () => {
    const { store, recorder } = setUp();
    expect(await recorder.record(episode("f1", TASK, ANA), "success", { flagged: true })).toEqual({ status: "skipped", reason: "flagged" });
    expect(await store.count()).toBe(0);
  });
});

describe("createExampleRecorder when a lesson is merged", () => {
  it("makes stale the examples within the lesson's scope of tasks like its failure's, from the merge's version on", async () => {
    const { recorder, served, store } = setUp();
    await recorder.record(episode("a1", TASK, ANA), "success"); // example-a1
    await recorder.record(episode("b1", TASK, BOB), "success"); // example-b1
    await recorder.record(episode("g1", TASK, { tenant: "globex", user: "ana" }), "success"); // example-g1
    await recorder.record(episode("a2", "Ship the parcel to Berlin by courier", ANA), "success"); // example-a2
    const failure = episode("b9", TASK, BOB, { startedAt: "2026-01-02T00:00:00.000Z", ok: false });
    const lesson = lessonFixture("cents", { scope: { tenant: "acme" }, trigger: "creating an invoice", guidance: "send amount_cents" });

    // Anchored to a tool the examples never called: they do not show what it changes.
    expect(await recorder.lessonMerged({ lesson: { ...lesson, tools: ["create_refund"] }, version: 3, episode: failure })).toEqual([]);
    // Scoped to Bob: Ana's example is not his lesson's business.
    expect(await recorder.lessonMerged({ lesson: { ...lesson, scope: BOB }, version: 3, episode: failure })).toEqual(["example-b1"]);
    // Tenant-wide: every user's example of the task in the tenant; not another tenant's, not another task's.
    expect(await recorder.lessonMerged({ lesson: { ...lesson, tools: ["create_invoice"] }, version: 4, episode: failure })).toEqual(["example-a1"]);
    expect(await store.get("example-a1")).toMatchObject({ staleSince: 4, staleReason: "contradicting_lesson", staleBy: "cents" });
    expect(await served(ANA, TASK, 3)).toEqual(["example-a1", "example-a2"]);
    expect(await served(ANA, TASK)).toEqual(["example-a2"]);
    expect(await served({ tenant: "globex", user: "ana" }, TASK)).toEqual(["example-g1"]);
    // An example kept after the failure started already shows the new way.
    await recorder.record(episode("a3", TASK, ANA, { startedAt: "2026-01-03T00:00:00.000Z" }), "success");
    expect(await recorder.lessonMerged({ lesson, version: 5, episode: failure })).toEqual([]);
  });
});
