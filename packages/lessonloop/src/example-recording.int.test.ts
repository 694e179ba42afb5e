// The learning loop keeps judged successes as examples (here in a real Chroma collection), and a later failure on the task makes them stale.
import { openChromaStores } from "@lessonloop/chroma";
import { testChromaUrl, uniqueCollectionName } from "@lessonloop/chroma/testing";
import { LessonloopError, createLexicalEmbedder, type EpisodeInput } from "@lessonloop/core";
import { InMemoryExampleStore, type ExampleStore } from "@lessonloop/core/internal";
import { lessonFixture } from "@lessonloop/core/conformance";
import { createManualClock } from "@lessonloop/core/testing";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { LearningLoop } from "./learning-loop.js";
import { INVOICE_TASK, SCOPE, failedInvoiceEpisode } from "./tests/invoice-world.js";
import { openInvoiceLoop } from "./tests/invoice-loop.js";

const loops: LearningLoop[] = [];
afterEach(async () => {
  await Promise.all(loops.splice(0).map((loop) => loop.close({ timeoutMs: 1_000 })));
});

/** A store's methods as plain functions, to replace some. */
function bound(store: ExampleStore): ExampleStore {
  return {
    add: (examples) => store.add(examples),
    get: (id, options) => store.get(id, options),
    search: (request) => store.search(request),
    list: (request) => store.list(request),
    markStale: (request) => store.markStale(request),
    delete: (ids) => store.delete(ids),
    count: () => store.count(),
  };
}

function succeededInvoiceEpisode(id: string, startedAt: string): EpisodeInput {
  return {
    ...failedInvoiceEpisode(id, startedAt),
    trajectory: [
      { type: "message", role: "user", content: INVOICE_TASK },
      { type: "tool_call", id: `${id}-c1`, name: "create_invoice", args: { customer: "ACME", amount_cents: 1250 } },
      { type: "tool_result", callId: `${id}-c1`, name: "create_invoice", content: "Invoice INV-7 created for ACME: 1250 cents", isError: false },
      { type: "message", role: "assistant", content: "Created invoice INV-7." },
    ],
  };
}

describe("the learning loop records examples", () => {
  it("keeps a judged success, strengthens it with a near-identical one, and a later failure on the task makes it stale (kept, not served)", async () => {
    const stores = await openChromaStores({ url: testChromaUrl(), name: uniqueCollectionName("examples-loop"), embedder: createLexicalEmbedder() });
    const { loop } = await openInvoiceLoop({ name: "examples-loop", params: { exampleStore: stores.examples } });
    loops.push(loop);
    expect(loop.exampleStore).toBe(stores.examples);

    const first = await loop.learn(succeededInvoiceEpisode("ok-1", "2026-01-01T00:00:00.000Z"));
    expect(first.judgement?.status).toBe("success");
    expect(first.example).toMatchObject({ status: "added" });
    const exampleId = first.example?.status === "added" ? first.example.exampleId : "";
    expect(await stores.examples.get(exampleId)).toMatchObject({ scope: SCOPE, input: INVOICE_TASK, episodes: ["ok-1"], recordedAt: 0 });

    expect((await loop.learn(succeededInvoiceEpisode("ok-2", "2026-01-01T01:00:00.000Z"))).example).toEqual({ status: "strengthened", exampleId, strength: 2 });

    const failed = await loop.learn(failedInvoiceEpisode("bad-1", new Date(Date.now() + 60_000).toISOString()));
    expect(failed.judgement?.status).toBe("failure");
    expect(failed.example).toEqual({ status: "marked_stale", exampleIds: [exampleId] });
    expect(await stores.examples.search({ query: INVOICE_TASK, scope: SCOPE })).toEqual([]);
    expect((await stores.examples.get(exampleId)).staleReason).toBe("similar_failure");
  }, 60_000);

  it("a lesson merged from a failure on the task makes stale the examples within its scope that the failure itself did not reach", async () => {
    const { loop } = await openInvoiceLoop({ name: "examples-lesson" });
    loops.push(loop);
    const ana = { ...SCOPE, user: "ana" };
    const kept = await loop.learn({ ...succeededInvoiceEpisode("ana-ok", "2026-01-01T00:00:00.000Z"), scope: ana });
    const exampleId = kept.example?.status === "added" ? kept.example.exampleId : "";
    // The agent-wide failure is not served Ana's example (hers is narrower), so it leaves it; the lesson it teaches reaches her.
    const failed = await loop.learn(failedInvoiceEpisode("agent-failed", "2026-01-02T00:00:00.000Z"));
    expect(failed.example).toEqual({ status: "marked_stale", exampleIds: [] });
    expect(failed.merged).toHaveLength(1);
    const lesson = await loop.memory.get(failed.merged[0] as string);
    expect(lesson.scope).toEqual(SCOPE);
    expect(await loop.exampleStore?.get(exampleId)).toMatchObject({ staleReason: "contradicting_lesson", staleBy: lesson.id, staleSince: await loop.memory.headVersion() });
  }, 60_000);

  it("stops serving the examples a rollback made outside the loop undid (as the CLI makes one), looked for while serving", async () => {
    const clock = createManualClock(new Date().toISOString());
    const { loop } = await openInvoiceLoop({ name: "examples-rollback", params: { clock } });
    loops.push(loop);
    await loop.memory.commit({ add: [lessonFixture("seed", { scope: SCOPE })], reason: "a first lesson", author: "tester" });
    const kept = await loop.learn({ ...succeededInvoiceEpisode("ok-1", "2026-01-01T00:00:00.000Z"), memoryVersion: 1 });
    const exampleId = kept.example?.status === "added" ? kept.example.exampleId : "";
    const select = loop.createSelector({ timeoutMs: 5_000 });
    const served = async () => (await select({ text: INVOICE_TASK, scope: SCOPE })).examples.map((example) => example.id);
    expect(await served()).toEqual([exampleId]);

    const rollback = await loop.memory.rollback({ to: 0, reason: "undo the first lesson", author: "cli" });
    clock.advance(30_000);
    await served(); // looks, in the background
    await vi.waitFor(async () => expect(await served()).toEqual([]), { timeout: 10_000, interval: 100 });
    expect(await loop.exampleStore?.get(exampleId)).toMatchObject({ staleReason: "rollback", staleSince: rollback.version });
  }, 60_000);

  it("learns lessons as usual when the example store fails, and says so", async () => {
    const store = new InMemoryExampleStore({ embedder: createLexicalEmbedder() });
    const down = () => Promise.reject(new LessonloopError("store_unavailable", "the example store is down"));
    const broken: ExampleStore = { ...bound(store), add: down, search: down, markStale: down };
    const { loop, events } = await openInvoiceLoop({ name: "examples-down", params: { exampleStore: broken } });
    loops.push(loop);
    expect((await loop.learn(succeededInvoiceEpisode("ok-1", "2026-01-01T00:00:00.000Z"))).example).toEqual({ status: "failed", message: "the example store is down" });
    const failed = await loop.learn(failedInvoiceEpisode("bad-1", "2026-01-02T00:00:00.000Z"));
    expect(failed.example?.status).toBe("failed");
    expect(failed.merged).toHaveLength(1);
    const warned = events.flatMap((event) => (event.type === "warning" && event.source === "examples" ? [event.warning.episodeId] : []));
    // The failure's staleness, then the merged lesson's: each failed write is said once.
    expect(warned).toEqual(["ok-1", "bad-1", "bad-1"]);
  }, 60_000);

  it("records nothing with examples off", async () => {
    const { loop } = await openInvoiceLoop({ name: "examples-off", params: { exampleStore: false } });
    loops.push(loop);
    expect(loop.exampleStore).toBeUndefined();
    expect((await loop.learn(succeededInvoiceEpisode("ok-1", "2026-01-01T00:00:00.000Z"))).example).toBeUndefined();
  }, 60_000);
});
