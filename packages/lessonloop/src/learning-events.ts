import type { Episode } from "@lessonloop/core";
import { printWarning } from "@lessonloop/core/internal";
import type { LearnerWarning, RepairWarning } from "@lessonloop/learner";
import type { RetrieverWarning } from "@lessonloop/replay-retriever";
import type { SnapshotCheckpointerWarning } from "@lessonloop/snapshot-checkpointer";
import type { LearningResult } from "./learning-result.js";
import type { RunScopeWarning } from "./run-scope.js";

/** An episode the loop could not credit or queue, and why. */
export interface EpisodeWarning {
  episodeId: string;
  /** Why the ledger, the monitor or the queue failed. */
  message: string;
  cause: unknown;
}

/** The warning for an episode that `error` kept from being credited or queued. */
export function episodeWarning(episodeId: string, error: unknown): EpisodeWarning {
  return { episodeId, message: error instanceof Error ? error.message : String(error), cause: error };
}

/** How an episode reached the learning path. */
export type EpisodeSource = "sync" | "background" | "replay";

/**
 * A degradation that a part the loop assembled survived, reported to `onEvent`
 * as a `warning` event: `source` names the part and types `warning`.
 */
export type LearningWarning =
  /** The learner proposed or compared less (model trouble), or dropped a candidate that restates a memory instruction. */
  | { source: "learner"; warning: LearnerWarning }
  /** The repair of a rejected lesson failed on model trouble. */
  | { source: "repair"; warning: RepairWarning }
  /** A retriever node of `loop.createRetriever` (withLearning's `retrieve_lessons` too) served less: memory, ledger or examples failed. */
  | { source: "retriever"; warning: RetrieverWarning }
  /** lessonloopMiddleware's lesson selection served less: memory, ledger or examples failed. */
  | { source: "middleware"; warning: RetrieverWarning }
  /** A run's scope could not be read or was invalid: the run answered without lessons, and nothing of it was recorded. */
  | { source: "scope"; warning: RunScopeWarning }
  /** An outcome credited without learning (learning off, or an episode the full queue dropped) could not be recorded. */
  | { source: "crediting"; warning: EpisodeWarning }
  /** The example store failed while the episode was learned: it was not kept as an example (nor made others stale); its lessons were learned as usual. */
  | { source: "examples"; warning: EpisodeWarning }
  /** A run's episode could not be queued for learning — on the shared episode queue (withLearning's or lessonloopMiddleware's `queue`) or the loop's own (shut down): it was not acknowledged, and is not kept. */
  | { source: "queue"; warning: EpisodeWarning }
  /**
   * withLearning's checkpointer stored a checkpoint without its memory version.
   * An outage would warn on every checkpoint, so it is reported at most once a
   * minute; `omitted` counts the warnings left out since the last report.
   */
  | { source: "checkpointer"; warning: SnapshotCheckpointerWarning; omitted: number };

/**
 * What the learning loop reports to `onEvent`: the one channel for what
 * happens to episodes and for the warnings of every part it assembled. Every
 * episode handed to the loop ends in exactly one of `episode_learned`,
 * `learning_failed`, `episode_dropped` or `episode_persisted` (or is returned
 * by `shutdown` when there is no journal to persist it to).
 */
export type LearningEvent =
  /** The learning graph ran to the end on the episode. */
  | { type: "episode_learned"; episodeId: string; mode: EpisodeSource; result: LearningResult }
  /**
   * The learning graph threw. When a store was unreachable (`store_unavailable`)
   * the episode is tried again in `retryInMs`; on a full disk (`storage_full`)
   * it is not retried but kept in the journal, for a start with room; otherwise
   * (a bad episode, a bug) it is not retried.
   */
  | { type: "learning_failed"; episodeId: string; mode: EpisodeSource; error: unknown; retryInMs?: number }
  /** The background queue was full and `onFull` is `"drop-oldest"`: this, the oldest waiting episode, was dropped. */
  | { type: "episode_dropped"; episodeId: string; reason: "queue_full" }
  /** Episodes written to the journal, to be learned after the next start. */
  | { type: "episode_persisted"; episodeIds: string[]; reason: "queue_full" | "shutdown" }
  /** Episodes a new loop took from the journal and queued. */
  | { type: "journal_replayed"; episodeIds: string[] }
  /** A part of the loop survived a degradation: see {@link LearningWarning}. */
  | ({ type: "warning" } & LearningWarning);

/** Prints a warning event as one console line, as the part would print it on its own. */
function printLearningWarning(event: LearningWarning): void {
  switch (event.source) {
    case "learner": {
      const { kind, episodeId, message } = event.warning;
      printWarning({ source: "learner", detail: `${kind}, episode ${episodeId}`, message });
      return;
    }
    case "repair": {
      const { kind, lessonId, message } = event.warning;
      printWarning({ source: "lesson repair", detail: `${kind}, lesson ${lessonId}`, message });
      return;
    }
    case "retriever":
    case "middleware": {
      const { source, code, effect, message, cause } = event.warning;
      const who = event.source === "retriever" ? "replay-retriever" : "lessonloopMiddleware";
      printWarning({ source: `${who} degraded`, detail: `${source}: ${code}`, effect, message }, cause);
      return;
    }
    case "scope": {
      const { attachedBy, code, effect, message } = event.warning;
      printWarning({ source: `${attachedBy} run scope`, detail: code, effect, message });
      return;
    }
    case "examples": {
      const { episodeId, message, cause } = event.warning;
      printWarning({ source: "example recording", detail: `episode ${episodeId}`, effect: "the episode was not kept as an example, nor made others stale", message }, cause);
      return;
    }
    case "crediting": {
      const { episodeId, message, cause } = event.warning;
      printWarning({ source: "outcome crediting", detail: `episode ${episodeId}`, effect: "the regression monitor did not see this outcome", message }, cause);
      return;
    }
    case "queue": {
      const { episodeId, message, cause } = event.warning;
      printWarning({ source: "episode queue", detail: `episode ${episodeId}`, effect: "the episode was not queued for learning", message }, cause);
      return;
    }
    case "checkpointer": {
      const { source, code, effect, checkpointId, threadId, message } = event.warning;
      const more = event.omitted === 0 ? "" : ` (${event.omitted} more since the last report)`;
      printWarning({
        source: "withLearning's checkpointer",
        detail: `${source}: ${code}`,
        effect: `${effect} for checkpoint ${checkpointId} of thread ${threadId ?? "?"}`,
        message: `${message}${more}`,
      });
      return;
    }
  }
}

/** The default `onEvent`: failures, drops and warnings on the console (one line each), the rest silent. */
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
    case "warning":
      printLearningWarning(event);
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
