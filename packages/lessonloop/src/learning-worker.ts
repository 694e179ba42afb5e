import { LessonloopError, type EpisodeQueue } from "@lessonloop/core";
import type { LearningLoop } from "./learning-loop.js";
import { isStorageFull, isStoreUnavailable } from "./learning-queue.js";
import type { LearningResult } from "./learning-result.js";

/** What a learning worker reports about each episode it takes. */
export type LearningWorkerEvent =
  /** The learning path ran to the end on the episode; it left the queue. */
  | { type: "learned"; episodeId: string; attempts: number; result: LearningResult }
  /** Learning failed on something that may pass (a store down, a full disk, a timeout): the queue gives it back after its backoff. */
  | { type: "retrying"; episodeId: string; attempts: number; error: unknown }
  /** Learning failed for good, or `maxAttempts` ran out: the episode is in the dead letters. */
  | { type: "dead_lettered"; episodeId: string; attempts: number; error: unknown }
  /** `stop()` cut these off: they went back to the queue, no attempt counted. */
  | { type: "handed_back"; episodeIds: string[] }
  /** The queue itself could not be reached (a take or a completion); the worker keeps polling. */
  | { type: "queue_error"; error: unknown };

/** What the worker did, as `stop()` reports it. */
export interface LearningWorkerReport {
  learned: number;
  retried: number;
  deadLettered: number;
  /** Episodes handed back to the queue by `stop()`. */
  handedBack: string[];
}

export interface LearningWorkerParams {
  /** Where episodes come from: the shared queue of a fleet (`createPgEpisodeQueue`), or a file journal in this process. */
  queue: EpisodeQueue;
  /**
   * The learning path: `createLearningLoop` on the memory every process shares
   * (`chromaUrl`). Its `background.concurrency` bounds learning too: set it to
   * at least this worker's `concurrency`.
   */
  loop: LearningLoop;
  /** Episodes learned at once. Default 1. */
  concurrency?: number;
  /** Pause between takes while the queue is empty (ms). Default 1 000. */
  pollIntervalMs?: number;
  /** Attempts after which an episode that keeps failing (or killing its worker) is dead-lettered. Default 5. */
  maxAttempts?: number;
  /**
   * The longest one episode's learning may take (ms): then it is aborted and
   * retried. Default 300 000, and under the queue's lease (80% of it), so no
   * second worker takes an episode still being learned.
   */
  learnTimeoutMs?: number;
  /** Told about each episode's fate. Default: retries, dead letters and queue errors on the console. */
  onEvent?: (event: LearningWorkerEvent) => void;
}

/** A learning worker: takes episodes from a queue and runs the learning path on them until stopped. */
export interface LearningWorker {
  /** Counts so far, and episodes being learned now. */
  readonly stats: Omit<LearningWorkerReport, "handedBack"> & { running: number };
  /** Resolves when the queue had nothing due and nothing is being learned. */
  idle(): Promise<void>;
  /**
   * Stops taking episodes, waits up to `timeoutMs` (default 30 000) for those
   * being learned, then aborts the rest and hands them back to the queue.
   * Does not close the queue or the loop. Idempotent.
   */
  stop(options?: { timeoutMs?: number }): Promise<LearningWorkerReport>;
}

function logWorkerEvent(event: LearningWorkerEvent): void {
  const why = (error: unknown) => (error instanceof Error ? error.message : String(error));
  if (event.type === "retrying") console.warn(`[lessonloop] worker: episode ${event.episodeId} failed (attempt ${event.attempts}), retried later: ${why(event.error)}`);
  else if (event.type === "dead_lettered") console.warn(`[lessonloop] worker: episode ${event.episodeId} dead-lettered after ${event.attempts} attempt(s): ${why(event.error)}`);
  else if (event.type === "queue_error") console.warn(`[lessonloop] worker: the episode queue failed: ${why(event.error)}`);
}

function failureOf(error: unknown): EpisodeQueue.Failure {
  return { message: error instanceof Error ? error.message : String(error), ...(LessonloopError.isInstance(error) ? { code: error.code } : {}) };
}

/** Whether trying again later may succeed: a store down or full, or learning that ran out of time. */
function passes(error: unknown): boolean {
  return isStoreUnavailable(error) || isStorageFull(error) || LessonloopError.isInstance(error, "timeout") || (error instanceof DOMException && error.name === "TimeoutError");
}

/**
 * Starts a learning worker: it takes episodes from `queue` (up to
 * `concurrency` at once), runs the loop's learning path on each (critic →
 * learner → validators → merge) and completes it. A failure that may pass
 * (`store_unavailable`, a full disk, a timeout) goes back to the queue, which
 * retries it after a backoff that grows with each attempt; any other failure,
 * or `maxAttempts` used up, moves the episode to the dead letters. `stop()`
 * hands unfinished episodes back. Delivery is at least once: an episode whose
 * worker died is learned again by another, from the start (nothing was
 * merged before the validators' verdict). Its lesson is never merged twice:
 * if the worker died after its merge, the learner finds the lesson with the
 * episode as evidence; and workers learning one lesson from two episodes at
 * once merge it once (the loop's merge step compares again on the head it
 * commits onto).
 */
export function createLearningWorker({
  queue,
  loop,
  concurrency = 1,
  pollIntervalMs = 1_000,
  maxAttempts = 5,
  learnTimeoutMs = Math.min(300_000, Math.floor(queue.leaseMs * 0.8)),
  onEvent = logWorkerEvent,
}: LearningWorkerParams): LearningWorker {
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new LessonloopError("invalid_input", `concurrency must be a whole number of at least 1, got ${concurrency}.`);
  if (!Number.isInteger(maxAttempts) || maxAttempts < 1) throw new LessonloopError("invalid_input", `maxAttempts must be a whole number of at least 1, got ${maxAttempts}.`);
  if (!(learnTimeoutMs > 0) || learnTimeoutMs >= queue.leaseMs) {
    throw new LessonloopError("invalid_input", `learnTimeoutMs (${learnTimeoutMs}) must be positive and below the queue's lease (${queue.leaseMs} ms), or another worker could take an episode still being learned.`);
  }
  const running = new Map<EpisodeQueue.Taken, AbortController>();
  const counts = { learned: 0, retried: 0, deadLettered: 0 };
  const handedBack: string[] = [];
  let stopping = false;
  let wake: (() => void) | undefined;
  let idleWaiters: (() => void)[] = [];
  const emit = (event: LearningWorkerEvent) => {
    try {
      onEvent(event);
    } catch (error) {
      console.warn(`[lessonloop] worker: onEvent threw on ${event.type}: ${String(error)}`);
    }
  };
  const nap = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });

  async function settle(action: () => Promise<void>): Promise<void> {
    try {
      await action();
    } catch (error) {
      // The lease runs out and the queue gives the episode again: at least once.
      emit({ type: "queue_error", error });
    }
  }

  async function learnOne(taken: EpisodeQueue.Taken): Promise<void> {
    const controller = new AbortController();
    running.set(taken, controller);
    const attempts = taken.attempts + 1;
    try {
      if (taken.attempts >= maxAttempts) {
        const error = new LessonloopError("timeout", `Episode ${taken.episode.id} was taken ${taken.attempts} times without finishing (its workers died or ran out of time); maxAttempts is ${maxAttempts}.`);
        counts.deadLettered += 1;
        await settle(() => queue.deadLetter(taken, failureOf(error)));
        emit({ type: "dead_lettered", episodeId: taken.episode.id, attempts: taken.attempts, error });
        return;
      }
      let result: LearningResult;
      try {
        result = await loop.learn(taken.episode, { signal: AbortSignal.any([controller.signal, AbortSignal.timeout(learnTimeoutMs)]), retry: false });
      } catch (error) {
        if (controller.signal.aborted) return; // stop() hands it back.
        if (passes(error) && attempts < maxAttempts) {
          counts.retried += 1;
          await settle(() => queue.retryLater(taken, failureOf(error)));
          emit({ type: "retrying", episodeId: taken.episode.id, attempts, error });
        } else {
          counts.deadLettered += 1;
          await settle(() => queue.deadLetter(taken, failureOf(error)));
          emit({ type: "dead_lettered", episodeId: taken.episode.id, attempts, error });
        }
        return;
      }
      if (controller.signal.aborted) return;
      await settle(() => queue.complete(taken));
      counts.learned += 1;
      emit({ type: "learned", episodeId: taken.episode.id, attempts, result });
    } finally {
      if (!controller.signal.aborted) running.delete(taken);
      wake?.();
    }
  }

  const pumping = (async () => {
    while (!stopping) {
      const free = concurrency - running.size;
      if (free <= 0) {
        await nap(pollIntervalMs);
        continue;
      }
      let batch: EpisodeQueue.Taken[];
      try {
        batch = await queue.take(free);
      } catch (error) {
        emit({ type: "queue_error", error });
        await nap(pollIntervalMs);
        continue;
      }
      if (stopping) {
        // Taken while stop() began: straight back.
        for (const taken of batch) await settle(() => queue.release(taken));
        handedBack.push(...batch.map((taken) => taken.episode.id));
        break;
      }
      if (batch.length === 0) {
        if (running.size === 0) for (const resolve of idleWaiters.splice(0)) resolve();
        await nap(pollIntervalMs);
        continue;
      }
      for (const taken of batch) void learnOne(taken);
    }
  })();

  let stopped: Promise<LearningWorkerReport> | undefined;
  return {
    get stats() {
      return { ...counts, running: running.size };
    },
    idle() {
      return new Promise((resolve) => {
        idleWaiters.push(resolve);
        wake?.();
      });
    },
    stop({ timeoutMs = 30_000 } = {}) {
      stopped ??= (async () => {
        stopping = true;
        wake?.();
        await pumping;
        const deadline = Date.now() + timeoutMs;
        while (running.size > 0 && Date.now() < deadline) await nap(Math.min(50, deadline - Date.now()));
        const cut = [...running.keys()];
        for (const [taken, controller] of running) {
          controller.abort(new LessonloopError("timeout", "The learning worker stopped before this episode was learned; it went back to the queue."));
          await settle(() => queue.release(taken));
        }
        running.clear();
        handedBack.push(...cut.map((taken) => taken.episode.id));
        if (handedBack.length > 0) emit({ type: "handed_back", episodeIds: [...handedBack] });
        for (const resolve of idleWaiters.splice(0)) resolve();
        idleWaiters = [];
        return { ...counts, handedBack: [...handedBack] };
      })();
      return stopped;
    },
  };
}

// The worker's own types live in its namespace: reachable as LearningWorker.Params etc., one public name.
export declare namespace LearningWorker {
  type Params = LearningWorkerParams;
  type Event = LearningWorkerEvent;
  type Report = LearningWorkerReport;
}
