import type { Episode } from "@lessonloop/core";
import type { LearningResult } from "./learning-result.js";

/** How an episode reached the learning path. */
export type EpisodeSource = "sync" | "background" | "replay";

/**
 * What the learning loop reports to `onEvent`. Every episode handed to the
 * loop ends in exactly one of `episode_learned`, `learning_failed`,
 * `episode_dropped` or `episode_persisted` (or is returned by `shutdown` when
 * there is no journal to persist it to).
 */
export type LearningEvent =
  /** The learning graph ran to the end on the episode. */
  | { type: "episode_learned"; episodeId: string; mode: EpisodeSource; result: LearningResult }
  /**
   * The learning graph threw. When a store was unreachable (`store_unavailable`)
   * the episode is tried again in `retryInMs`; otherwise (a bad episode, a bug)
   * it is not retried.
   */
  | { type: "learning_failed"; episodeId: string; mode: EpisodeSource; error: unknown; retryInMs?: number }
  /** The background queue was full and `onFull` is `"drop-oldest"`: this, the oldest waiting episode, was dropped. */
  | { type: "episode_dropped"; episodeId: string; reason: "queue_full" }
  /** Episodes written to the journal, to be learned after the next start. */
  | { type: "episode_persisted"; episodeIds: string[]; reason: "queue_full" | "shutdown" }
  /** Episodes a new loop took from the journal and queued. */
  | { type: "journal_replayed"; episodeIds: string[] };

/** The default `onEvent`: failures and drops on the console, the rest silent. */
export function logLearningEvent(event: LearningEvent): void {
  switch (event.type) {
    case "learning_failed":
      console.warn(
        `[lessonloop] learning from episode ${event.episodeId} failed${event.retryInMs === undefined ? "" : ` (a store is unreachable; trying again in ${event.retryInMs} ms)`}: ${String(event.error)}`,
      );
      return;
    case "episode_dropped":
      console.warn(`[lessonloop] the background learning queue was full: dropped episode ${event.episodeId} (onFull: "drop-oldest").`);
      return;
    default:
      return;
  }
}

/** Episodes `shutdown` could neither learn nor persist (no journal was given). */
export interface ShutdownReport {
  /** Whether every queued episode was learned within the wait. */
  drained: boolean;
  /** Episodes learned during the shutdown wait. */
  learned: number;
  /** Ids of the episodes written to the journal. */
  persisted: string[];
  /** Episodes left unlearned with no journal to keep them: the caller's to keep. */
  unpersisted: Episode[];
}
