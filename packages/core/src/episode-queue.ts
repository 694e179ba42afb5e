import type { Episode } from "./episode.js";
import type { LessonloopErrorCode } from "./errors.js";

/**
 * Where recorded episodes wait for a learning worker: the agent enqueues, a
 * worker takes an episode (leasing it), learns it and completes it; an
 * episode that fails for good goes to a dead-letter place that an operator
 * can read. Two implementations behind one conformance suite: the file
 * episode journal (one process, no server) and a shared durable queue on
 * PostgreSQL (`@lessonloop/queue-pg`) that many agent and worker processes use
 * at once.
 *
 * Delivery is at least once: a lease that its taker neither completes nor
 * hands back (the process died) runs out and the episode is taken again.
 */
export interface EpisodeQueue {
  /**
   * Adds episodes; resolves only once the queue holds them durably, so a
   * crash of any process after it cannot lose them. Fails (`store_unavailable`)
   * when they could not be stored: the caller knows they were not.
   */
  enqueue(episodes: readonly Episode[]): Promise<void>;
  /** Leases up to `limit` waiting episodes to this caller, oldest first; `[]` when none is due. */
  take(limit: number): Promise<EpisodeQueue.Taken[]>;
  /** The episode was learned: it leaves the queue. */
  complete(taken: EpisodeQueue.Taken): Promise<void>;
  /** Learning failed for a reason that may pass (a store down): the episode is taken again after the queue's backoff, which grows with each attempt. */
  retryLater(taken: EpisodeQueue.Taken, error: EpisodeQueue.Failure): Promise<void>;
  /** Learning failed for good: the episode moves to the dead letters, with why. */
  deadLetter(taken: EpisodeQueue.Taken, error: EpisodeQueue.Failure): Promise<void>;
  /** Hands an unfinished episode back at once, counting no attempt (a worker shutting down). */
  release(taken: EpisodeQueue.Taken): Promise<void>;
  /** The dead letters, oldest first (at most `limit`, default 100). */
  deadLetters(limit?: number): Promise<EpisodeQueue.DeadLetter[]>;
  /** Puts dead-lettered episodes back in the queue, attempts reset; returns how many it found. */
  requeueDead(episodeIds: readonly string[]): Promise<number>;
  /** How long a lease lasts (ms) before the episode is given to another taker; `Infinity` when leases end only with the process. */
  readonly leaseMs: number;
  /** Lets go of connections (and locks); later calls fail. */
  close(): Promise<void>;
}

// Types that belong to the interface live in its namespace: one public name.
export declare namespace EpisodeQueue {
  /** An episode leased to one taker. */
  interface Taken {
    readonly episode: Episode;
    /** The queue's handle on this lease. */
    readonly leaseId: string;
    /** Earlier attempts that failed, ran out of time or died with their process. */
    readonly attempts: number;
  }
  /** Why learning an episode failed. */
  interface Failure {
    readonly message: string;
    readonly code?: LessonloopErrorCode | undefined;
  }
  /** An episode that failed for good, as kept in the dead letters. */
  interface DeadLetter {
    readonly episode: Episode;
    readonly message: string;
    readonly code?: LessonloopErrorCode | undefined;
    /** Attempts made, the last included. */
    readonly attempts: number;
    /** When it was dead-lettered (ISO 8601). */
    readonly failedAt: string;
  }
}
