import { EpisodeSchema, LessonloopError, type Episode } from "@lessonloop/core";
import { NO_MODEL_USAGE } from "@lessonloop/core/internal";
import { rejectionOf } from "@lessonloop/core/testing";
import { describe, expect, it } from "vitest";
import { createInMemoryEpisodeJournal } from "./episode-journal.js";
import type { LearningEvent } from "./learning-events.js";
import { LearningQueue, type LearningQueueParams } from "./learning-queue.js";
import type { LearningResult } from "./learning-result.js";
import { failedInvoiceEpisode } from "./tests/invoice-world.js";

const episode = (id: string): Episode => EpisodeSchema.parse(failedInvoiceEpisode(id));

function resultOf(episode: Episode): LearningResult {
  return { episodeId: episode.id, judgement: undefined, candidates: [], reinforcements: [], edgeCases: [], lessons: [], merged: [], parked: [], regressionCheck: undefined, learnerWarnings: [], usage: { validation: NO_MODEL_USAGE, models: NO_MODEL_USAGE } };
}

/** A learn function whose calls wait until the test releases them, recording the order they started in. */
function gatedLearn() {
  const started: string[] = [];
  const gates = new Map<string, () => void>();
  const learn = (episode: Episode, signal: AbortSignal) =>
    new Promise<LearningResult>((resolve, reject) => {
      started.push(episode.id);
      gates.set(episode.id, () => resolve(resultOf(episode)));
      signal.addEventListener("abort", () => reject(signal.reason), { once: true });
    });
  const release = async (id: string) => {
    for (let attempt = 0; attempt < 100 && !gates.has(id); attempt++) await tick();
    gates.get(id)?.();
  };
  return { learn, started, release };
}

const tick = () => new Promise((resolve) => setTimeout(resolve, 1));

function queueWith(params: Partial<LearningQueueParams> & Pick<LearningQueueParams, "learn">) {
  const events: LearningEvent[] = [];
  const queue = new LearningQueue({ onEvent: (event) => events.push(event), ...params });
  const learned = () => events.flatMap((event) => (event.type === "episode_learned" ? [event.episodeId] : []));
  return { queue, events, learned };
}

describe("LearningQueue", () => {
  it("learns background episodes one at a time, in order, and lets sync learning jump the line", async () => {
    const { learn, started, release } = gatedLearn();
    const { queue, learned } = queueWith({ learn });
    expect(await queue.enqueue(episode("e1"))).toBe("queued");
    await queue.enqueue(episode("e2"));
    const now = queue.learnNow(episode("sync"));
    expect(queue.stats).toMatchObject({ queued: 1, running: 1 });
    await release("e1");
    await release("sync");
    await expect(now).resolves.toMatchObject({ episodeId: "sync" });
    await release("e2");
    await queue.idle();
    expect(started).toEqual(["e1", "sync", "e2"]);
    expect(learned()).toEqual(["e1", "sync", "e2"]);
  });

  it('onFull "block": the caller waits for room; nothing is lost', async () => {
    const { learn, release } = gatedLearn();
    const { queue, learned } = queueWith({ learn, maxQueued: 2, onFull: "block" });
    await queue.enqueue(episode("e1")); // running
    await queue.enqueue(episode("e2"));
    await queue.enqueue(episode("e3")); // two waiting: full
    let fourth: string | undefined;
    const blocked = queue.enqueue(episode("e4")).then((outcome) => (fourth = outcome));
    await tick();
    expect(fourth).toBeUndefined();
    expect(queue.stats).toEqual({ queued: 2, running: 1, blocked: 1, retrying: 0 });

    await release("e1"); // e2 starts: room for e4
    await blocked;
    expect(fourth).toBe("queued");
    for (const id of ["e2", "e3", "e4"]) await release(id);
    await queue.idle();
    expect(learned()).toEqual(["e1", "e2", "e3", "e4"]);
  });

  it('onFull "drop-oldest": the oldest waiting episode is dropped with an event, the new one queued', async () => {
    const { learn, release } = gatedLearn();
    const { queue, events, learned } = queueWith({ learn, maxQueued: 2, onFull: "drop-oldest" });
    for (const id of ["e1", "e2", "e3"]) await queue.enqueue(episode(id));
    expect(await queue.enqueue(episode("e4"))).toBe("queued");
    expect(events).toContainEqual({ type: "episode_dropped", episodeId: "e2", reason: "queue_full" });
    expect(queue.stats.queued).toBe(2);
    for (const id of ["e1", "e3", "e4"]) await release(id);
    await queue.idle();
    expect(learned()).toEqual(["e1", "e3", "e4"]);
  });

  it('onFull "persist": the new episode goes to the journal at once', async () => {
    const { learn, release } = gatedLearn();
    const journal = createInMemoryEpisodeJournal();
    const { queue, events, learned } = queueWith({ learn, maxQueued: 1, onFull: "persist", journal });
    await queue.enqueue(episode("e1"));
    await queue.enqueue(episode("e2"));
    expect(await queue.enqueue(episode("e3"))).toBe("persisted");
    expect(events).toContainEqual({ type: "episode_persisted", episodeIds: ["e3"], reason: "queue_full" });
    for (const id of ["e1", "e2"]) await release(id);
    await queue.idle();
    expect(learned()).toEqual(["e1", "e2"]);
    expect((await journal.takeAll()).map((kept) => kept.id)).toEqual(["e3"]);
  });

  it('refuses onFull "persist" without a journal, and bounds that are not whole numbers', () => {
    const { learn } = gatedLearn();
    expect(() => queueWith({ learn, onFull: "persist" })).toThrow(/needs a journal/);
    expect(() => queueWith({ learn, maxQueued: 0 })).toThrow(/maxQueued/);
  });

  it("shutdown drains within the wait: everything learned, nothing persisted", async () => {
    const learn = async (episode: Episode) => resultOf(episode);
    const journal = createInMemoryEpisodeJournal();
    const { queue, learned } = queueWith({ learn, journal });
    for (const id of ["e1", "e2", "e3"]) await queue.enqueue(episode(id));
    const report = await queue.shutdown({ timeoutMs: 5_000 });
    expect(report).toMatchObject({ drained: true, persisted: [], unpersisted: [] });
    expect(learned()).toEqual(["e1", "e2", "e3"]);
    expect(journal.size).toBe(0);
  });

  it("shutdown past the wait persists the waiting and the cut-off episodes, and later ones go to the journal", async () => {
    const { learn, started } = gatedLearn();
    const journal = createInMemoryEpisodeJournal();
    const { queue, events, learned } = queueWith({ learn, journal });
    for (const id of ["e1", "e2", "e3"]) await queue.enqueue(episode(id));
    const report = await queue.shutdown({ timeoutMs: 20 });
    expect(report.drained).toBe(false);
    expect(report.persisted.sort()).toEqual(["e1", "e2", "e3"]);
    expect(started).toEqual(["e1"]);
    expect(learned()).toEqual([]);
    // The cut-off episode is persisted, not reported failed.
    expect(events.filter((event) => event.type === "learning_failed")).toEqual([]);

    expect(await queue.enqueue(episode("late"))).toBe("persisted");
    expect((await journal.takeAll()).map((kept) => kept.id).sort()).toEqual(["e1", "e2", "e3", "late"]);
    const refused = await rejectionOf(queue.learnNow(episode("sync-late")));
    expect(LessonloopError.isInstance(refused, "invalid_input")).toBe(true);
  });

  it("shutdown without a journal returns what it could not learn", async () => {
    const { learn } = gatedLearn();
    const { queue } = queueWith({ learn });
    for (const id of ["e1", "e2"]) await queue.enqueue(episode(id));
    const report = await queue.shutdown({ timeoutMs: 20 });
    expect(report.unpersisted.map((kept) => kept.id).sort()).toEqual(["e1", "e2"]);
    expect(report.persisted).toEqual([]);
  });

  it("reports a failed learning and goes on with the next episode", async () => {
    const learn = async (episode: Episode) => {
      if (episode.id === "bad") throw new Error("store down");
      return resultOf(episode);
    };
    const { queue, events, learned } = queueWith({ learn });
    await queue.enqueue(episode("bad"));
    await queue.enqueue(episode("good"));
    await queue.idle();
    expect(events).toContainEqual(expect.objectContaining({ type: "learning_failed", episodeId: "bad" }));
    expect(learned()).toEqual(["good"]);
  });
  it("writes background episodes ahead to the journal and marks them done once learned", async () => {
    const { learn, release } = gatedLearn();
    const journal = createInMemoryEpisodeJournal();
    const { queue, learned } = queueWith({ learn, journal });
    await queue.enqueue(episode("e1"));
    await queue.enqueue(episode("e2"));
    // Acknowledged means written: a crash now would leave both in the journal.
    expect((await journal.pending()).map((kept) => kept.id)).toEqual(["e1", "e2"]);
    await release("e1");
    await release("e2");
    await queue.idle();
    expect(learned()).toEqual(["e1", "e2"]);
    expect(await journal.pending()).toEqual([]);
  });

  it("retries learning that failed on an unreachable store until the store is back, keeping the episode meanwhile", async () => {
    let storeUp = false;
    const learn = async (episode: Episode) => {
      if (!storeUp) throw new LessonloopError("store_unavailable", "Chroma is down");
      return resultOf(episode);
    };
    const journal = createInMemoryEpisodeJournal();
    const { queue, events, learned } = queueWith({ learn, journal, retryDelayMs: 5, maxRetryDelayMs: 20 });
    await queue.enqueue(episode("e1"));
    while (events.filter((event) => event.type === "learning_failed").length < 3) await tick();
    expect(queue.stats.retrying + queue.stats.queued + queue.stats.running).toBe(1);
    expect(events.find((event) => event.type === "learning_failed")).toMatchObject({ episodeId: "e1", retryInMs: 5 });
    expect((await journal.pending()).map((kept) => kept.id)).toEqual(["e1"]);
    storeUp = true;
    await queue.idle();
    expect(learned()).toEqual(["e1"]);
    expect(await journal.pending()).toEqual([]);
  });

  it("does not retry learning that failed on a full disk, nor give the episode up: one learning_failed, the episode kept in the journal", async () => {
    let attempts = 0;
    // What mapChromaError makes of Chroma's "database or disk is full" (chroma-errors.test.ts).
    const diskFull = () => new LessonloopError("storage_full", "The Chroma server could not commit lessons: its disk is full. Free space …");
    const learn = async (episode: Episode): Promise<LearningResult> => {
      attempts++;
      if (episode.id === "full") throw diskFull();
      // Wrapped by a caller as an unreachable store: the full disk beneath still decides.
      throw new LessonloopError("store_unavailable", "merge failed", { cause: diskFull() });
    };
    const journal = createInMemoryEpisodeJournal();
    const { queue, events } = queueWith({ learn, journal, retryDelayMs: 1, maxRetryDelayMs: 2 });
    await queue.enqueue(episode("full"));
    await queue.enqueue(episode("wrapped"));
    await queue.idle();
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(attempts).toBe(2);
    const failed = events.filter((event) => event.type === "learning_failed");
    expect(failed.map((event) => [event.episodeId, event.retryInMs, (event.error as LessonloopError).code])).toEqual([
      ["full", undefined, "storage_full"],
      ["wrapped", undefined, "store_unavailable"],
    ]);
    expect(queue.stats.retrying).toBe(0);
    // Not given up either: both wait in the journal for a start with room on the disk.
    expect((await journal.pending()).map((kept) => kept.id)).toEqual(["full", "wrapped"]);
  });

  it("keeps a sync episode whose store was unreachable: it goes to the journal and is retried", async () => {
    let storeUp = false;
    const learn = async (episode: Episode) => {
      if (!storeUp) throw new LessonloopError("store_unavailable", "Chroma is down");
      return resultOf(episode);
    };
    const journal = createInMemoryEpisodeJournal();
    const { queue, learned } = queueWith({ learn, journal, retryDelayMs: 5 });
    const refused = await rejectionOf(queue.learnNow(episode("s1")));
    expect(LessonloopError.isInstance(refused, "store_unavailable")).toBe(true);
    expect((await journal.pending()).map((kept) => kept.id)).toEqual(["s1"]);
    storeUp = true;
    await queue.idle();
    expect(learned()).toEqual(["s1"]);
    expect(await journal.pending()).toEqual([]);
  });

  it("shutdown reports episodes waiting for a retry as persisted: they are in the journal", async () => {
    const learn = async () => {
      throw new LessonloopError("store_unavailable", "Chroma is down");
    };
    const journal = createInMemoryEpisodeJournal();
    const { queue } = queueWith({ learn, journal, retryDelayMs: 60_000 });
    await queue.enqueue(episode("e1"));
    while (queue.stats.retrying === 0) await tick();
    const report = await queue.shutdown({ timeoutMs: 100 });
    expect(report.persisted).toEqual(["e1"]);
    expect((await journal.pending()).map((kept) => kept.id)).toEqual(["e1"]);
  });
});
