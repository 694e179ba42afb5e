// Issue 5, background mode through withLearning, with scripted models and the real Chroma
// server: runs return before their episodes are learned; shutting down loses no episode
// (drained, or persisted to the journal and learned by the next loop).
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { HumanMessage } from "@langchain/core/messages";
import { createLexicalEmbedder } from "@lessonloop/core";
import { ChromaEdgeCaseStore, ChromaLessonMemory } from "@lessonloop/chroma";
import { testChromaUrl, uniqueCollectionName } from "@lessonloop/chroma/testing";
import type { Episode, LessonMemory, EdgeCaseStore } from "@lessonloop/core";
import type { Evaluator } from "@lessonloop/critic";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createFileEpisodeJournal } from "./episode-journal.js";
import type { LearningEvent } from "./learning-events.js";
import { createLearningLoop, type LearningLoop } from "./learning-loop.js";
import {
  SCOPE,
  billingEvaluator,
  createAgentBuilder,
  createAgentModel,
  invoiceLoopParams,
} from "./tests/invoice-world.js";
import { withLearning } from "./with-learning.js";

const embedder = createLexicalEmbedder();
const loops: LearningLoop[] = [];
let folder: string;
let memory: LessonMemory;
let edgeCaseStore: EdgeCaseStore;

beforeEach(async () => {
  folder = await mkdtemp(join(tmpdir(), "lessonloop-background-"));
  const url = testChromaUrl();
  memory = await ChromaLessonMemory.open({ url, name: uniqueCollectionName("background"), embedder });
  edgeCaseStore = await ChromaEdgeCaseStore.open({ url, collection: uniqueCollectionName("background-cases"), embedder });
});
afterEach(async () => {
  await Promise.all(loops.splice(0).map((loop) => loop.close({ timeoutMs: 1_000 })));
  await rm(folder, { recursive: true, force: true });
});

async function billingLoop(evaluator: Evaluator, events: LearningEvent[]) {
  const loop = await createLearningLoop({
    ...invoiceLoopParams(),
    evaluator,
    memory,
    edgeCaseStore,
    background: { journal: createFileEpisodeJournal({ path: join(folder, "episodes.jsonl") }), maxQueued: 10 },
    onEvent: (event) => events.push(event),
  });
  loops.push(loop);
  return loop;
}

const learnedIds = (events: readonly LearningEvent[]) => events.flatMap((event) => (event.type === "episode_learned" ? [event.episodeId] : []));

const TASKS = ["Refund 5.00 EUR on order A-1", "Refund 7.25 EUR on order B-2", "Refund 1.00 EUR on order C-3"];

describe("background learning", () => {
  it("returns before learning, and shutdown drains the queue when there is time", async () => {
    const events: LearningEvent[] = [];
    let open: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (open = resolve));
    const loop = await billingLoop(async (episode) => {
      await gate;
      return billingEvaluator(episode);
    }, events);
    const recorded: Episode[] = [];
    const agent = withLearning(createAgentBuilder(createAgentModel()), { loop, scope: { ...SCOPE }, learning: "background", onEpisode: (episode) => recorded.push(episode) });

    for (const task of TASKS) {
      const result = await agent.invoke({ messages: [new HumanMessage(task)] });
      expect(String(result.messages.at(-1)?.content)).toContain("Done: Refunded");
    }
    // Every run has returned; none of their episodes is learned yet.
    expect(learnedIds(events)).toEqual([]);
    expect(loop.stats).toMatchObject({ running: 1, queued: 2 });

    open();
    const report = await loop.shutdown({ timeoutMs: 20_000 });
    expect(report).toMatchObject({ drained: true, persisted: [], unpersisted: [] });
    expect(learnedIds(events)).toEqual(recorded.map((episode) => episode.id));
    expect(await loop.ledger.versionOutcomes(0)).toMatchObject({ successes: 3, failures: 0 });
  });

  it("loses no episode when shut down mid-queue: persisted to the journal, learned by the next loop", async () => {
    const events: LearningEvent[] = [];
    const stuck = new Promise<undefined>(() => undefined);
    const first = await billingLoop(() => stuck, events);
    const recorded: Episode[] = [];
    const agent = withLearning(createAgentBuilder(createAgentModel()), { loop: first, scope: { ...SCOPE }, learning: "background", onEpisode: (episode) => recorded.push(episode) });
    for (const task of TASKS) await agent.invoke({ messages: [new HumanMessage(task)] });
    const ids = recorded.map((episode) => episode.id);

    // close(): shutdown(), then the journal's lock goes, so the next loop may own it.
    const report = await first.close({ timeoutMs: 50 });
    expect(report.drained).toBe(false);
    expect([...report.persisted].sort()).toEqual([...ids].sort());
    const lines = (await readFile(join(folder, "episodes.jsonl"), "utf8")).trim().split("\n");
    expect(lines.map((line) => (JSON.parse(line) as { record: Episode }).record.id).sort()).toEqual([...ids].sort());
    expect(learnedIds(events)).toEqual([]);

    // A new loop (a restarted process) takes the journal and learns every episode.
    const nextEvents: LearningEvent[] = [];
    const next = await billingLoop(billingEvaluator, nextEvents);
    expect(nextEvents[0]).toEqual({ type: "journal_replayed", episodeIds: expect.arrayContaining(ids) as string[] });
    await next.idle();
    expect(learnedIds(nextEvents).sort()).toEqual([...ids].sort());
    expect(nextEvents.filter((event) => event.type === "episode_learned").map((event) => (event.type === "episode_learned" ? event.mode : ""))).toEqual([
      "replay",
      "replay",
      "replay",
    ]);
    expect(await next.ledger.versionOutcomes(0)).toMatchObject({ successes: 3 });
  });
});
