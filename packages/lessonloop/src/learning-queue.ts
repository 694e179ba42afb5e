import { EpisodeSchema, LessonloopError, type Episode, type EpisodeInput } from "@lessonloop/core";
import { parseWith } from "@lessonloop/core/internal";
import PQueue from "p-queue";
import type { EpisodeJournal } from "./episode-journal.js";
import type { LearningEvent, EpisodeSource, ShutdownReport } from "./learning-events.js";
import type { LearningResult } from "./learning-result.js";

/**
 * What the background queue does with an episode when `maxQueued` episodes
 * are already waiting:
 *
 * - `"block"` (default): the caller waits until one starts (backpressure: the
 *   user's run returns later, nothing is lost, memory stays bounded);
 * - `"persist"`: the episode goes to the journal at once, to be learned after
 *   the next start (needs a `journal`);
 * - `"drop-oldest"`: the oldest waiting episode is dropped with an
 *   `episode_dropped` event and the new one queued.
 */
export type QueueFullPolicy = "block" | "persist" | "drop-oldest";

/** What became of an episode handed to `enqueue`. */
export type EnqueueOutcome = "queued" | "persisted";

export interface LearningQueueParams {
  /** Runs the learning graph on one episode; must honour `signal`. */
  learn: (episode: Episode, signal: AbortSignal) => Promise<LearningResult>;
  /** Episodes learned at once. Default 1: lessons are merged one at a time, so two runs never race to propose the same lesson. */
  concurrency?: number;
  /** Most episodes waiting (not counting those being learned). Default 100. */
  maxQueued?: number;
  /** What happens when `maxQueued` are waiting. Default `"block"`. */
  onFull?: QueueFullPolicy;
  /**
   * The write-ahead log of background episodes: each is appended before
   * `enqueue` resolves and marked done once learned, so nothing acknowledged
   * is lost to a crash. Default none: episodes live in memory, and `shutdown`
   * returns those it could not learn.
   */
  journal?: EpisodeJournal;
  /**
   * First pause (ms) before an episode whose learning failed because a store
   * was unreachable (`store_unavailable`) is tried again; it doubles up to
   * `maxRetryDelayMs`, and retries go on until the store is back or the queue
   * shuts down. Default 1 000.
   */
  retryDelayMs?: number;
  /** Longest pause between such retries (ms). Default 30 000. */
  maxRetryDelayMs?: number;
  /** The longest one episode's learning may take (ms); then it is aborted and reported failed. Default 300 000. */
  learnTimeoutMs?: number;
  /** Told about every episode's fate. */
  onEvent: (event: LearningEvent) => void;
  /** Called with each episode the full queue drops (`"drop-oldest"`), before its `episode_dropped` event, so its outcome can still be credited. Must not throw. */
  onDropped?: (episode: Episode) => Promise<void>;
}

/** How `learnNow` learns one episode. */
export interface LearnNowOptions {
  /** Aborts the learning (a learning worker stopping, or its lease running out). */
  signal?: AbortSignal;
  /** Whether a store outage is retried here (default) or only thrown, for a caller whose own queue retries (a learning worker). */
  retry?: boolean;
}

/** Counts of the queue, for dashboards and tests. */
export interface LearningQueueStats {
  /** Background episodes waiting. */
  queued: number;
  /** Episodes being learned (sync and background). */
  running: number;
  /** Callers waiting for room (`onFull: "block"`). */
  blocked: number;
  /** Episodes waiting to be tried again once an unreachable store is back. */
  retrying: number;
}

/** The error and its causes, outermost first. */
function causeChain(error: unknown): unknown[] {
  const chain: unknown[] = [];
  for (let cause = error, depth = 0; cause !== undefined && cause !== null && depth < 5; depth++) {
    chain.push(cause);
    cause = (cause as { cause?: unknown }).cause;
  }
  return chain;
}

/** Whether a store ran out of room (a full disk) somewhere beneath `error`. */
export function isStorageFull(error: unknown): boolean {
  return causeChain(error).some((cause) => LessonloopError.isInstance(cause, "storage_full"));
}

/**
 * Whether learning failed because a store (Chroma, a journal) could not be
 * reached: worth trying again later. Not a full disk, even reported as an
 * unreachable store: it stays full, and retries would fail forever.
 */
export function isStoreUnavailable(error: unknown): boolean {
  const chain = causeChain(error);
  return !isStorageFull(error) && chain.some((cause) => LessonloopError.isInstance(cause, "store_unavailable"));
}

/**
 * The learning loop's work queue: a p-queue (bounded concurrency) in front of
 * the learning graph, shared by sync learning (which jumps the line) and
 * background learning (bounded by `maxQueued`, with a stated policy when
 * full). `shutdown` drains with a bounded wait, then persists what is left.
 * With a journal, background episodes are written ahead and marked done when
 * learned; learning that failed on an unreachable store is retried.
 */
export class LearningQueue {
  readonly #queue: PQueue;
  readonly #learn: LearningQueueParams["learn"];
  readonly #maxQueued: number;
  readonly #onFull: QueueFullPolicy;
  readonly #onDropped: ((episode: Episode) => Promise<void>) | undefined;
  readonly #journal: EpisodeJournal | undefined;
  readonly #learnTimeoutMs: number;
  readonly #retryDelayMs: number;
  readonly #maxRetryDelayMs: number;
  readonly #onEvent: (event: LearningEvent) => void;
  /** Episodes waiting to be retried, with their timer and how many attempts failed so far. */
  readonly #retrying = new Map<Episode, { timer: NodeJS.Timeout; mode: EpisodeSource }>();
  readonly #failedAttempts = new Map<string, number>();
  /** Callers of `idle` waiting for a retry to be queued. */
  readonly #retryWaiters: (() => void)[] = [];
  /** Background episodes waiting, oldest first. One p-queue task exists for each. */
  readonly #waiting: { episode: Episode; mode: EpisodeSource }[] = [];
  /** Episodes being learned, with the controller that aborts them. */
  readonly #running = new Map<Episode, AbortController>();
  /** Callers of `enqueue` waiting for room. */
  readonly #blocked: (() => void)[] = [];
  /** Sync episodes waiting for their turn, with the rejection of their caller. */
  readonly #syncWaiting = new Map<Episode, (error: unknown) => void>();
  /** Sync episodes not (yet) in the journal: their caller waits for the result instead. */
  readonly #syncEpisodes = new Set<Episode>();
  #closed = false;
  #learned = 0;

  constructor({
    learn,
    concurrency = 1,
    maxQueued = 100,
    onFull = "block",
    journal,
    learnTimeoutMs = 300_000,
    retryDelayMs = 1_000,
    maxRetryDelayMs = 30_000,
    onEvent,
    onDropped,
  }: LearningQueueParams) {
    if (!Number.isInteger(maxQueued) || maxQueued < 1) {
      throw new LessonloopError("invalid_input", `maxQueued must be a whole number of at least 1, got ${maxQueued}.`);
    }
    if (!Number.isInteger(concurrency) || concurrency < 1) {
      throw new LessonloopError("invalid_input", `concurrency must be a whole number of at least 1, got ${concurrency}.`);
    }
    if (onFull === "persist" && journal === undefined) {
      throw new LessonloopError("invalid_input", 'onFull: "persist" needs a journal to persist to. Pass journal: createFileEpisodeJournal({ path }), or choose "block" or "drop-oldest".');
    }
    this.#queue = new PQueue({ concurrency });
    this.#learn = learn;
    this.#maxQueued = maxQueued;
    this.#onFull = onFull;
    this.#journal = journal;
    this.#learnTimeoutMs = learnTimeoutMs;
    this.#retryDelayMs = retryDelayMs;
    this.#maxRetryDelayMs = maxRetryDelayMs;
    this.#onEvent = onEvent;
    this.#onDropped = onDropped;
  }

  get stats(): LearningQueueStats {
    return { queued: this.#waiting.length, running: this.#running.size, blocked: this.#blocked.length, retrying: this.#retrying.size };
  }

  /** Whether `shutdown` has been called. */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Learns one episode now, ahead of waiting background episodes, and returns
   * the result. Errors propagate (and are reported as `learning_failed`).
   */
  async learnNow(input: EpisodeInput, { signal, retry = true }: LearnNowOptions = {}): Promise<LearningResult> {
    const episode = parseWith(EpisodeSchema, input, "episode");
    if (this.#closed) throw new LessonloopError("invalid_input", "The learning loop is shut down: it learns no more episodes. Create a new loop.");
    return new Promise<LearningResult>((resolve, reject) => {
      this.#syncWaiting.set(episode, reject);
      this.#syncEpisodes.add(episode);
      this.#queue
        .add(
          async () => {
            this.#syncWaiting.delete(episode);
            resolve((await this.#run(episode, "sync", true, { signal, retry })) as LearningResult);
          },
          { priority: 1 },
        )
        .catch(reject);
    });
  }

  /**
   * Hands an episode to background learning and returns as soon as it is
   * queued (or persisted). When `maxQueued` are waiting, the `onFull` policy
   * applies. After `shutdown`, episodes go straight to the journal.
   */
  async enqueue(input: EpisodeInput, mode: EpisodeSource = "background"): Promise<EnqueueOutcome> {
    const episode = parseWith(EpisodeSchema, input, "episode");
    while (!this.#closed && this.#waiting.length >= this.#maxQueued) {
      if (this.#onFull === "persist") {
        await this.#persist([episode], "queue_full");
        return "persisted";
      }
      if (this.#onFull === "drop-oldest") {
        const dropped = this.#waiting.shift() as { episode: Episode };
        await this.#markDone(dropped.episode);
        await this.#onDropped?.(dropped.episode);
        this.#onEvent({ type: "episode_dropped", episodeId: dropped.episode.id, reason: "queue_full" });
        await this.#journal?.append([episode]);
        // The dropped episode's task now serves the new one: one task per waiting episode.
        this.#waiting.push({ episode, mode });
        return "queued";
      }
      await new Promise<void>((resolve) => this.#blocked.push(resolve));
    }
    if (this.#closed) {
      if (this.#journal === undefined) {
        throw new LessonloopError("invalid_input", "The learning loop is shut down and has no journal: the episode cannot be kept. Create a new loop, or give it a journal.");
      }
      await this.#persist([episode], "shutdown");
      return "persisted";
    }
    // Written ahead: once this resolves, a crash cannot lose the episode.
    await this.#journal?.append([episode]);
    this.#push(episode, mode);
    return "queued";
  }

  /** Queues episodes already in the journal (pending from an earlier run), past the `maxQueued` bound: they were accepted before. */
  requeue(episodes: readonly Episode[]): void {
    if (this.#closed) throw new LessonloopError("invalid_input", "The learning loop is shut down.");
    for (const episode of episodes) this.#push(episode, "replay");
  }

  /** Resolves when nothing is waiting, running or waiting to be retried. */
  async idle(): Promise<void> {
    for (;;) {
      await this.#queue.onIdle();
      if (this.#retrying.size === 0) return;
      await new Promise<void>((resolve) => this.#retryWaiters.push(resolve));
    }
  }

  /**
   * Stops taking episodes, waits up to `timeoutMs` for the queue to drain, then
   * aborts what still runs and persists every unlearned episode (waiting or
   * cut off) to the journal — or, without a journal, returns them.
   */
  async shutdown({ timeoutMs = 30_000 }: { timeoutMs?: number } = {}): Promise<ShutdownReport> {
    const learnedBefore = this.#learned;
    this.#closed = true;
    // Blocked callers wake up, see the loop closed and persist their episode.
    for (const wake of this.#blocked.splice(0)) wake();
    let timer: NodeJS.Timeout | undefined;
    const drained = await Promise.race([
      this.#queue.onIdle().then(() => true),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(false), timeoutMs);
      }),
    ]);
    clearTimeout(timer);
    const left: Episode[] = [];
    for (const [episode, retry] of this.#retrying) {
      clearTimeout(retry.timer);
      left.push(episode);
    }
    this.#retrying.clear();
    for (const wake of this.#retryWaiters.splice(0)) wake();
    if (!drained) {
      this.#queue.clear();
      left.push(...this.#waiting.splice(0).map(({ episode }) => episode));
      for (const [episode, reject] of this.#syncWaiting) {
        left.push(episode);
        reject(new LessonloopError("timeout", "The learning loop shut down before this episode's turn came; it was persisted to be learned after the next start."));
      }
      this.#syncWaiting.clear();
      for (const [episode, controller] of this.#running) {
        left.push(episode);
        controller.abort(new LessonloopError("timeout", "The learning loop shut down before this episode was learned; it was persisted to be learned after the next start."));
      }
      this.#running.clear();
    }
    const report: ShutdownReport = { drained, learned: this.#learned - learnedBefore, persisted: [], unpersisted: [] };
    if (left.length === 0) return report;
    if (this.#journal === undefined) return { ...report, unpersisted: left };
    // Background episodes were written ahead; sync ones are written now.
    await this.#persist(left, "shutdown", { written: (episode) => !this.#syncEpisodes.has(episode) });
    return { ...report, persisted: left.map((episode) => episode.id) };
  }

  #push(episode: Episode, mode: EpisodeSource): void {
    this.#waiting.push({ episode, mode });
    this.#queue
      .add(async () => {
        const next = this.#waiting.shift();
        this.#blocked.shift()?.();
        if (next !== undefined) await this.#run(next.episode, next.mode, false);
      })
      .catch(() => undefined);
  }

  async #persist(episodes: Episode[], reason: "queue_full" | "shutdown", { written = () => false }: { written?: (episode: Episode) => boolean } = {}): Promise<void> {
    const journal = this.#journal as EpisodeJournal;
    await journal.append(episodes.filter((episode) => !written(episode)));
    this.#onEvent({ type: "episode_persisted", episodeIds: episodes.map((episode) => episode.id), reason });
  }

  /** The episode needs no more learning; a journal failure only means it may be learned again after a restart. */
  async #markDone(episode: Episode): Promise<void> {
    this.#failedAttempts.delete(episode.id);
    if (this.#syncEpisodes.delete(episode) || this.#journal === undefined) return;
    try {
      await this.#journal.markDone([episode.id]);
    } catch (error) {
      console.warn(`[lessonloop] could not mark episode ${episode.id} done in the journal; it may be learned again after a restart: ${String(error)}`);
    }
  }

  /** Tries the episode again after a pause that doubles with each failure. */
  #scheduleRetry(episode: Episode, mode: EpisodeSource): number {
    const failures = (this.#failedAttempts.get(episode.id) ?? 0) + 1;
    this.#failedAttempts.set(episode.id, failures);
    const delayMs = Math.min(this.#retryDelayMs * 2 ** (failures - 1), this.#maxRetryDelayMs);
    const timer = setTimeout(() => {
      this.#retrying.delete(episode);
      if (this.#closed) return;
      this.#push(episode, mode);
      for (const wake of this.#retryWaiters.splice(0)) wake();
    }, delayMs);
    // A pending retry does not keep the process alive: with a journal the episode is on disk.
    timer.unref();
    this.#retrying.set(episode, { timer, mode });
    return delayMs;
  }

  async #run(episode: Episode, mode: EpisodeSource, rethrow: boolean, { signal: callerSignal, retry = true }: LearnNowOptions = {}): Promise<LearningResult | undefined> {
    const controller = new AbortController();
    this.#running.set(episode, controller);
    const signal = AbortSignal.any([controller.signal, AbortSignal.timeout(this.#learnTimeoutMs), ...(callerSignal === undefined ? [] : [callerSignal])]);
    try {
      const result = await this.#learn(episode, signal);
      // Cut off by shutdown: the episode was persisted, its late result is not reported.
      if (!this.#running.has(episode)) return result;
      this.#learned += 1;
      await this.#markDone(episode);
      this.#onEvent({ type: "episode_learned", episodeId: episode.id, mode, result });
      return result;
    } catch (error) {
      if (this.#running.has(episode)) {
        if (isStoreUnavailable(error) && !this.#closed && retry) {
          // The store will be back: the episode waits (in the journal too, when there is one) and is tried again.
          if (this.#syncEpisodes.has(episode)) {
            this.#syncEpisodes.delete(episode);
            await this.#journal?.append([episode]).catch(() => undefined);
          }
          const retryInMs = this.#scheduleRetry(episode, mode);
          this.#onEvent({ type: "learning_failed", episodeId: episode.id, mode, error, retryInMs });
        } else if (isStorageFull(error)) {
          // Not retried, not given up: it stays in the journal (if any) for the next start, once there is room.
          this.#onEvent({ type: "learning_failed", episodeId: episode.id, mode, error });
        } else {
          await this.#markDone(episode);
          this.#onEvent({ type: "learning_failed", episodeId: episode.id, mode, error });
        }
      }
      if (rethrow) throw error;
      return undefined;
    } finally {
      this.#running.delete(episode);
    }
  }
}
