// The learning worker on the embedded queue (a file journal) with the real Chroma server and
// scripted models: learns what it takes, retries a store outage with backoff, dead-letters what
// fails for good, and hands back what stop() cuts off.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { EpisodeSchema, LessonloopError, type EpisodeQueue } from "@lessonloop/core";
import { patchMemory } from "@lessonloop/core/testing";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createFileEpisodeJournal, type FileEpisodeJournal } from "./episode-journal.js";
import type { LearningLoop } from "./learning-loop.js";
import { createLearningWorker, type LearningWorkerEvent } from "./learning-worker.js";
import { openInvoiceLoop } from "./tests/invoice-loop.js";
import { RIGHT_LESSON, createLearnerModel, failedInvoiceEpisode } from "./tests/invoice-world.js";

let folder: string;
let journal: FileEpisodeJournal;
const loops: LearningLoop[] = [];

beforeEach(async () => {
  folder = await mkdtemp(join(tmpdir(), "lessonloop-worker-"));
  journal = createFileEpisodeJournal({ path: join(folder, "episodes.jsonl"), retryDelayMs: 50 });
});
afterEach(async () => {
  await Promise.all(loops.splice(0).map((loop) => loop.close({ timeoutMs: 1_000 })));
  await journal.close();
  await rm(folder, { recursive: true, force: true });
});

const episode = (id: string) => EpisodeSchema.parse(failedInvoiceEpisode(id));

describe("createLearningWorker", () => {
  it("learns each episode it takes from the queue and completes it", async () => {
    const { loop } = await openInvoiceLoop({ name: "worker-learns" });
    loops.push(loop);
    const events: LearningWorkerEvent[] = [];
    const worker = createLearningWorker({ queue: journal, loop, pollIntervalMs: 20, onEvent: (event) => events.push(event) });
    await journal.enqueue([episode("w1")]);
    await worker.idle();
    const report = await worker.stop();
    expect(report).toEqual({ learned: 1, retried: 0, deadLettered: 0, handedBack: [] });
    const learned = events.find((event) => event.type === "learned");
    expect(learned?.type === "learned" && learned.result.merged).toHaveLength(1);
    expect((await loop.memory.list({})).map((lesson) => lesson.trigger)).toEqual([RIGHT_LESSON.trigger]);
    expect(await journal.take(10)).toEqual([]);
  });

  it("gives an episode whose store was down back to the queue, and learns it once the store is up", async () => {
    let failures = 1;
    const { loop } = await openInvoiceLoop({
      name: "worker-retry",
      wrapMemory: (memory) =>
        patchMemory(memory, {
          commit: async (request) => {
            if (failures-- > 0) throw new LessonloopError("store_unavailable", "Chroma is restarting");
            return memory.commit(request);
          },
        }),
    });
    loops.push(loop);
    const events: LearningWorkerEvent[] = [];
    const worker = createLearningWorker({ queue: journal, loop, pollIntervalMs: 20, onEvent: (event) => events.push(event) });
    await journal.enqueue([episode("w2")]);
    for (let tries = 0; tries < 100 && worker.stats.learned === 0; tries++) await new Promise((resolve) => setTimeout(resolve, 50));
    await worker.stop();
    expect(events.map((event) => event.type)).toEqual(["retrying", "learned"]);
    expect(events[1]).toMatchObject({ episodeId: "w2", attempts: 2 });
    expect(await loop.memory.list({})).toHaveLength(1);
  });

  it("dead-letters an episode that fails for good, with why, and stops retrying it", async () => {
    const { loop } = await openInvoiceLoop({
      name: "worker-dead",
      wrapMemory: (memory) =>
        patchMemory(memory, {
          commit: async () => {
            throw new LessonloopError("corrupt_store", "the snapshot log contradicts itself");
          },
        }),
    });
    loops.push(loop);
    const worker = createLearningWorker({ queue: journal, loop, pollIntervalMs: 20, onEvent: () => undefined });
    await journal.enqueue([episode("w3")]);
    await worker.idle();
    const report = await worker.stop();
    expect(report.deadLettered).toBe(1);
    const [dead] = await journal.deadLetters();
    expect(dead).toMatchObject({ episode: { id: "w3" }, code: "corrupt_store", attempts: 1 });
    expect(dead?.message).toContain("contradicts itself");
    expect(await journal.take(10)).toEqual([]);
  });

  it("hands the episode it is learning back to the queue when stopped, counting no attempt", async () => {
    const { loop } = await openInvoiceLoop({ name: "worker-stop", params: { learnerModel: createLearnerModel(RIGHT_LESSON, 5_000) } });
    loops.push(loop);
    const worker = createLearningWorker({ queue: journal, loop, pollIntervalMs: 20, onEvent: () => undefined });
    await journal.enqueue([episode("w4")]);
    for (let tries = 0; tries < 100 && worker.stats.running === 0; tries++) await new Promise((resolve) => setTimeout(resolve, 20));
    const report = await worker.stop({ timeoutMs: 100 });
    expect(report.handedBack).toEqual(["w4"]);
    const [back] = await journal.take(10);
    expect(back).toMatchObject<Partial<EpisodeQueue.Taken>>({ attempts: 0 });
    expect(back?.episode.id).toBe("w4");
    expect(await loop.memory.list({})).toEqual([]);
  });
});
