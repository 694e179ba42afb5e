import { describe, expect, it } from "vitest";
import { EpisodeSchema, type Episode } from "../episode.js";
import type { EpisodeQueue } from "../episode-queue.js";
import { LessonloopError } from "../errors.js";
import { rejectionOf } from "../testing/rejection-of.js";
import { refundEpisodeFixture } from "./episode-fixtures.js";

export interface EpisodeQueueConformanceParams {
  /** Shown in the suite's name, e.g. `file journal`. */
  name: string;
  /** A fresh, empty queue for each test, whose retry backoff is well under `retryWithinMs`. The suite closes it. */
  createQueue: () => Promise<EpisodeQueue>;
  /** The same queue opened as a new process would, after `queue` was closed (or its process killed). When given, the suite checks that episodes persist. */
  reopen?: (queue: EpisodeQueue) => Promise<EpisodeQueue>;
  /** A second handle on the same queue, open at the same time (another process of a fleet). When given, the suite checks that two takers never share an episode. */
  openSecond?: (queue: EpisodeQueue) => Promise<EpisodeQueue>;
  /** How long an episode given back by `retryLater` may take to be due again (ms). Default 10 000. */
  retryWithinMs?: number;
}

function episode(id: string): Episode {
  return EpisodeSchema.parse(refundEpisodeFixture({ id, input: `Refund order ${id}.` }));
}

/** Takes until something comes, or `withinMs` passes. */
async function takeWithin(queue: EpisodeQueue, withinMs: number, limit = 10): Promise<EpisodeQueue.Taken[]> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    const taken = await queue.take(limit);
    if (taken.length > 0 || Date.now() > deadline) return taken;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const ids = (taken: readonly EpisodeQueue.Taken[]) => taken.map((entry) => entry.episode.id);

/** The behaviour every `EpisodeQueue` must have, as one vitest suite. */
export function describeEpisodeQueueConformance({ name, createQueue, reopen, openSecond, retryWithinMs = 10_000 }: EpisodeQueueConformanceParams): void {
  describe(`EpisodeQueue conformance: ${name}`, () => {
    it("gives each enqueued episode, whole and oldest first, to one take; a completed one never comes back", async () => {
      const queue = await createQueue();
      try {
        await queue.enqueue([episode("e1"), episode("e2")]);
        await queue.enqueue([episode("e3")]);
        const first = await queue.take(2);
        expect(ids(first)).toEqual(["e1", "e2"]);
        expect(first[0]?.episode).toEqual(episode("e1"));
        expect(first.map((entry) => entry.attempts)).toEqual([0, 0]);
        expect(ids(await queue.take(10))).toEqual(["e3"]);
        // Leased: not given again while the lease holds.
        expect(await queue.take(10)).toEqual([]);
        for (const entry of first) await queue.complete(entry);
        expect(await queue.take(10)).toEqual([]);
      } finally {
        await queue.close();
      }
    });

    it("never hands out an episode again while its completion or dead letter is being written", async () => {
      const queue = await createQueue();
      try {
        await queue.enqueue([episode("e1"), episode("e2")]);
        const [completed, dead] = (await queue.take(2)) as [EpisodeQueue.Taken, EpisodeQueue.Taken];
        // Takes already under way (another worker polling) when each ends: they must still see the leases.
        const during = await Promise.all([queue.take(10), queue.complete(completed), queue.take(10), queue.deadLetter(dead, { message: "bad episode" }), queue.take(10)]);
        const takenDuring = [during[0], during[2], during[4]].flatMap((taken) => ids(taken));
        expect(takenDuring).toEqual([]);
        expect(await queue.take(10)).toEqual([]);
      } finally {
        await queue.close();
      }
    });

    it("refuses an invalid episode with invalid_input and stores nothing of the batch", async () => {
      const queue = await createQueue();
      try {
        const error = await rejectionOf(queue.enqueue([episode("ok"), { ...refundEpisodeFixture({ id: "bad" }), scope: { tenant: "" } } as Episode]));
        expect(LessonloopError.isInstance(error, "invalid_input")).toBe(true);
        expect(await queue.take(10)).toEqual([]);
      } finally {
        await queue.close();
      }
    });

    it("gives a released episode back at once, counting no attempt", async () => {
      const queue = await createQueue();
      try {
        await queue.enqueue([episode("e1")]);
        const [taken] = await queue.take(1);
        await queue.release(taken as EpisodeQueue.Taken);
        const again = await queue.take(1);
        expect(ids(again)).toEqual(["e1"]);
        expect(again[0]?.attempts).toBe(0);
      } finally {
        await queue.close();
      }
    });

    it("gives an episode to retry later back after a pause, one attempt more", async () => {
      const queue = await createQueue();
      try {
        await queue.enqueue([episode("e1")]);
        const [taken] = await queue.take(1);
        await queue.retryLater(taken as EpisodeQueue.Taken, { message: "Chroma is down", code: "store_unavailable" });
        const again = await takeWithin(queue, retryWithinMs);
        expect(ids(again)).toEqual(["e1"]);
        expect(again[0]?.attempts).toBe(1);
      } finally {
        await queue.close();
      }
    });

    it("keeps a dead-lettered episode out of the queue, readable with why, until it is requeued", async () => {
      const queue = await createQueue();
      try {
        await queue.enqueue([episode("e1"), episode("e2")]);
        const [first, second] = await queue.take(2);
        await queue.retryLater(first as EpisodeQueue.Taken, { message: "down", code: "store_unavailable" });
        const [retried] = await takeWithin(queue, retryWithinMs);
        await queue.deadLetter(retried as EpisodeQueue.Taken, { message: "the learner's output never parsed", code: "model_output_invalid" });
        await queue.complete(second as EpisodeQueue.Taken);
        expect(await queue.take(10)).toEqual([]);
        const dead = await queue.deadLetters();
        expect(dead).toHaveLength(1);
        expect(dead[0]).toMatchObject({ episode: episode("e1"), message: "the learner's output never parsed", code: "model_output_invalid", attempts: 2 });
        expect(Number.isNaN(Date.parse(dead[0]?.failedAt ?? ""))).toBe(false);
        expect(await queue.requeueDead(["e1", "unknown"])).toBe(1);
        expect(await queue.deadLetters()).toEqual([]);
        const back = await queue.take(10);
        expect(ids(back)).toEqual(["e1"]);
        expect(back[0]?.attempts).toBe(0);
      } finally {
        await queue.close();
      }
    });

    it.skipIf(reopen === undefined)("keeps every acknowledged episode and dead letter across reopening; a lease held by the closed handle ends", async () => {
      const queue = await createQueue();
      await queue.enqueue([episode("e1"), episode("e2"), episode("e3")]);
      const [done, leased, dead] = await queue.take(3);
      await queue.complete(done as EpisodeQueue.Taken);
      await queue.deadLetter(dead as EpisodeQueue.Taken, { message: "bad", code: "invalid_input" });
      const reopened = await (reopen as NonNullable<typeof reopen>)(queue);
      try {
        expect((leased as EpisodeQueue.Taken).episode.id).toBe("e2");
        // The lease of a handle that is gone ends with it (or when it runs out).
        const again = await takeWithin(reopened, Math.min(reopened.leaseMs, 60_000) + retryWithinMs);
        expect(ids(again)).toEqual(["e2"]);
        expect((await reopened.deadLetters()).map((letter) => letter.episode.id)).toEqual(["e3"]);
      } finally {
        await reopened.close();
      }
    });

    it.skipIf(openSecond === undefined)("never gives one episode to two takers taking at once", async () => {
      const queue = await createQueue();
      const second = await (openSecond as NonNullable<typeof openSecond>)(queue);
      try {
        const episodes = Array.from({ length: 40 }, (_, index) => episode(`e${index}`));
        await queue.enqueue(episodes);
        const takers = [queue, second].map(async (taker) => {
          const mine: string[] = [];
          for (;;) {
            const taken = await taker.take(3);
            if (taken.length === 0) return mine;
            mine.push(...ids(taken));
            for (const entry of taken) await taker.complete(entry);
          }
        });
        const [a, b] = await Promise.all(takers);
        expect([...(a ?? []), ...(b ?? [])].sort()).toEqual(episodes.map((entry) => entry.id).sort());
        expect(new Set([...(a ?? []), ...(b ?? [])]).size).toBe(40);
      } finally {
        await second.close();
        await queue.close();
      }
    });
  });
}
