// The learning worker on the embedded queue (a file journal) with the real Chroma server and
// scripted models: learns what it takes, retries a store outage with backoff, dead-letters what
// fails for good, and hands back what stop() cuts off; two workers on one memory learning the same
// lesson from two episodes at once merge it once.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { EpisodeSchema, LessonloopError, type EpisodeQueue, type Lesson, type LessonMemory } from "@lessonloop/core";
import { patchMemory } from "@lessonloop/core/testing";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createFileEpisodeJournal, type FileEpisodeJournal } from "./episode-journal.js";
import type { LearningLoop } from "./learning-loop.js";
import { createLearningWorker, type LearningWorkerEvent } from "./learning-worker.js";
import { openInvoiceLoop } from "./tests/invoice-loop.js";
import { RIGHT_LESSON, createLearnerModel, failedInvoiceEpisode } from "./tests/invoice-world.js";
import type { LearningResult } from "./learning-result.js";

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

/** Resolves each caller once `parties` callers have arrived; later callers pass straight through. */
function meetingPoint(parties: number): () => Promise<void> {
  let arrived = 0;
  let open: () => void = () => undefined;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return async () => {
    arrived += 1;
    if (arrived >= parties) open();
    await opened;
  };
}

describe("two learning workers on one memory", () => {
  it("merge a lesson that two episodes teach at once only once: the later merge finds the earlier lesson and counts a reinforcement", async () => {
    // Each worker's loop has its own handle on the one Chroma memory, as two processes would: no lock in this process orders them.
    // Both learners compare with the empty memory, then each merge waits until the other is at its commit too.
    const bothAtCommit = meetingPoint(2);
    const wrapMemory = (memory: LessonMemory) =>
      patchMemory(memory, {
        commit: async (request) => {
          await bothAtCommit();
          return memory.commit(request);
        },
      });
    const learnerModel = () => createLearnerModel(RIGHT_LESSON, 0, "same");
    const first = await openInvoiceLoop({ name: "worker-same-lesson", wrapMemory, params: { learnerModel: learnerModel() } });
    const second = await openInvoiceLoop({ name: "worker-same-lesson", wrapMemory, collections: first.collections, params: { learnerModel: learnerModel() } });
    loops.push(first.loop, second.loop);
    const results: LearningResult[] = [];
    const onEvent = (event: LearningWorkerEvent) => {
      if (event.type === "learned") results.push(event.result);
    };
    const workers = [first.loop, second.loop].map((loop) => createLearningWorker({ queue: journal, loop, pollIntervalMs: 20, onEvent }));
    await journal.enqueue([episode("same-1"), episode("same-2")]);
    for (let tries = 0; tries < 200 && results.length < 2; tries++) await new Promise((resolve) => setTimeout(resolve, 50));
    await Promise.all(workers.map((worker) => worker.stop()));

    expect(results.map((result) => result.episodeId).sort()).toEqual(["same-1", "same-2"]);
    // Both proposed the lesson and had it approved, against a memory that held neither.
    expect(results.map((result) => result.lessons.map(({ verdict }) => verdict.decision))).toEqual([["approved"], ["approved"]]);
    const lessons = await first.loop.memory.list({});
    expect(lessons.map((lesson) => lesson.trigger)).toEqual([RIGHT_LESSON.trigger]);
    const commits = (await first.loop.memory.history({ limit: 100 })).filter((snapshot) => snapshot.kind === "commit");
    expect(commits).toHaveLength(1);
    const [live] = lessons as [Lesson];
    const merged = results.find((result) => result.merged.length === 1);
    const repeated = results.find((result) => result.merged.length === 0);
    expect(merged?.merged).toEqual([live.id]);
    expect(repeated?.lessons[0]?.outcome).toMatchObject({ status: "duplicate", duplicateOf: live.id });
    expect(repeated?.reinforcements).toEqual([expect.objectContaining({ lessonId: live.id, episodeId: repeated?.episodeId })]);
    // The second comparison is one model call of the learner's, counted with the episode's.
    const learnerCalls = (result: LearningResult | undefined) => (result?.usage.models.calls ?? 0) - (result?.usage.validation.calls ?? 0);
    expect([learnerCalls(merged), learnerCalls(repeated)]).toEqual([1, 2]);
  });
});
