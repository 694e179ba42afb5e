import { LessonloopError } from "@lessonloop/core";
import { parseWith } from "@lessonloop/core/internal";
import type { DriftPoint } from "../environments/environment.js";
import type { LatencySummary } from "./multi-seed-results.js";
import {
  StrategySummarySchema,
  type Adaptation,
  type EpisodeRecord,
  type LessonEvent,
  type RegressionEvent,
  type RollbackEvent,
  type StrategySummary,
} from "./results.js";
import { median } from "./statistics.js";

/** Consecutive affected successes that count as "recovered" after a drift. */
export const RECOVERY_RUN = 3;

/** Episodes in the rolling success window of the learning curves. */
export const DEFAULT_ROLLING_WINDOW = 10;

/** Stream order, whatever order the records were collected in (a strategy may record out of order). */
function inStreamOrder(episodes: readonly EpisodeRecord[]): EpisodeRecord[] {
  return [...episodes].sort((a, b) => a.index - b.index);
}

/** Whether two drifts change the world for some of the same episodes: a common kind and a common user (no `users`: all). */
function overlaps(a: DriftPoint, b: DriftPoint): boolean {
  const sameUsers = a.users === undefined || b.users === undefined || a.users.some((user) => b.users?.includes(user));
  return sameUsers && a.kinds.some((kind) => b.kinds.includes(kind));
}

function affects(drift: DriftPoint, episode: EpisodeRecord): boolean {
  if (!drift.kinds.includes(episode.kind)) return false;
  if (drift.users === undefined) return true;
  if (episode.user === undefined) {
    throw new LessonloopError(
      "invalid_input",
      `Drift "${drift.change}" affects only some users (${drift.users.join(", ")}), but episode ${episode.index} records no user: set EpisodeRecord.user from the task's scope.`,
      { details: { driftAt: drift.at, episodeIndex: episode.index } },
    );
  }
  return drift.users.includes(episode.user);
}

/** Where a served example's run happened: its stream index, task kind and user. */
export interface ExampleOrigin {
  index: number;
  kind: string;
  user?: string | undefined;
}

/**
 * Whether an example served at stream index `servedAt` is stale-served: its
 * run (at `origin.index`) came before a drift that touched its task's kind
 * (and its user, where the drift names users), and it is served at or after
 * that drift. Graded from the drift schedule, never shown to a strategy.
 */
export function servedStale(origin: ExampleOrigin, servedAt: number, drifts: readonly DriftPoint[]): boolean {
  return drifts.some(
    (drift) =>
      origin.index < drift.at &&
      drift.at <= servedAt &&
      drift.kinds.includes(origin.kind) &&
      (drift.users === undefined || (origin.user !== undefined && drift.users.includes(origin.user))),
  );
}

/**
 * How fast a strategy adapted to each drift of the stream.
 *
 * Definition (also in `evals/README.md`): for a drift at index `at` affecting
 * `kinds` (and only `users`, when it names them), the window holds the
 * episodes of those kinds (and users) from `at` on, up to (not including) the
 * next drift that touches any of the same kinds (and users), or to the end of
 * the stream. `episodesToRecover` is the number of affected episodes
 * before the first run of `RECOVERY_RUN` (3) consecutive affected successes —
 * 0 when the first three affected episodes all pass — and `null` when the
 * window holds no such run (never recovered, or too few episodes to tell:
 * `affectedEpisodes` says which).
 *
 * @param episodes One strategy's episodes, in any order.
 * @param drifts The environment's drifts, in any order; the result follows stream order.
 * @throws LessonloopError `invalid_input` when a drift names users and an affected-kind episode records none.
 */
export function adaptationAfterDrifts(
  episodes: readonly EpisodeRecord[],
  drifts: readonly DriftPoint[],
): Adaptation[] {
  const ordered = inStreamOrder(episodes);
  const sortedDrifts = [...drifts].sort((a, b) => a.at - b.at);
  return sortedDrifts.map((drift) => {
    const end =
      sortedDrifts.find((later) => later.at > drift.at && overlaps(later, drift))?.at ?? Number.POSITIVE_INFINITY;
    const affected = ordered.filter((episode) => episode.index >= drift.at && episode.index < end && affects(drift, episode));
    return {
      driftAt: drift.at,
      change: drift.change,
      episodesToRecover: firstRunStart(affected),
      affectedEpisodes: affected.length,
    };
  });
}

/** Position of the first run of `RECOVERY_RUN` passes, or `null`. */
function firstRunStart(episodes: readonly EpisodeRecord[]): number | null {
  let run = 0;
  for (const [position, episode] of episodes.entries()) {
    run = episode.passed ? run + 1 : 0;
    if (run === RECOVERY_RUN) return position - RECOVERY_RUN + 1;
  }
  return null;
}

/** One point of a curve over the stream. */
export interface CurvePoint {
  /** Episode index in the stream. */
  index: number;
  value: number;
}

/**
 * Rolling success rate over the stream: at each episode, the share of passes
 * among it and the `window - 1` episodes before it (fewer at the start).
 *
 * @param episodes One strategy's episodes, in any order.
 * @param window Episodes per window (at least 1).
 */
export function rollingSuccess(
  episodes: readonly EpisodeRecord[],
  { window = DEFAULT_ROLLING_WINDOW }: { window?: number } = {},
): CurvePoint[] {
  if (!Number.isInteger(window) || window < 1) {
    throw new RangeError(`rollingSuccess needs a whole window of at least 1 episode, got ${window}.`);
  }
  const ordered = inStreamOrder(episodes);
  let passes = 0;
  return ordered.map((episode, position) => {
    passes += episode.passed ? 1 : 0;
    const leaving = ordered[position - window];
    if (leaving?.passed) passes -= 1;
    return { index: episode.index, value: passes / Math.min(position + 1, window) };
  });
}

/**
 * Rolling mean over a series in stream order (position = episode index): at
 * each point, the mean of it and the `window - 1` values before it (fewer at
 * the start). With the per-episode pass share over seeds, this is the learning
 * curve averaged over seeds.
 */
export function rollingMean(values: readonly number[], { window = DEFAULT_ROLLING_WINDOW }: { window?: number } = {}): CurvePoint[] {
  if (!Number.isInteger(window) || window < 1) {
    throw new RangeError(`rollingMean needs a whole window of at least 1 value, got ${window}.`);
  }
  let sum = 0;
  return values.map((value, position) => {
    sum += value - (values[position - window] ?? 0);
    return { index: position, value: sum / Math.min(position + 1, window) };
  });
}

/**
 * Per position, the mean over several series (one per seed). Series of
 * different lengths are refused: seeds of one run have the same episodes.
 */
export function meanAcross(series: readonly (readonly number[])[]): number[] {
  const length = series[0]?.length ?? 0;
  if (series.some((values) => values.length !== length)) {
    throw new RangeError(`meanAcross needs series of one length, got ${series.map((values) => values.length).join(", ")}.`);
  }
  return Array.from({ length }, (_, position) => series.reduce((sum, values) => sum + (values[position] ?? 0), 0) / series.length);
}

/**
 * Adaptation latency pooled over drifts (and seeds): the median over the drifts
 * that were recovered, and apart from it the drifts never recovered and those
 * with fewer than `RECOVERY_RUN` affected episodes (no latency to tell).
 */
export function summarizeLatency(adaptations: readonly Adaptation[]): LatencySummary {
  const recovered = adaptations.flatMap((adaptation) => (adaptation.episodesToRecover === null ? [] : [adaptation.episodesToRecover]));
  const unrecovered = adaptations.filter((adaptation) => adaptation.episodesToRecover === null);
  const tooFewToTell = unrecovered.filter((adaptation) => adaptation.affectedEpisodes < RECOVERY_RUN).length;
  return {
    median: median(recovered),
    recovered: recovered.length,
    neverRecovered: unrecovered.length - tooFewToTell,
    tooFewToTell,
  };
}

/** Lessons (or reflections) live after each episode: the memory-size curve. */
export function memorySizeOverTime(episodes: readonly EpisodeRecord[]): CurvePoint[] {
  return inStreamOrder(episodes).map((episode) => ({ index: episode.index, value: episode.memorySize }));
}

/** What `summarize` reads: everything one strategy produced on one environment. */
export interface SummarizeParams {
  /** The strategy's episodes, in any order. */
  episodes: readonly EpisodeRecord[];
  /** Every lesson the strategy proposed, with its outcome. */
  lessons?: readonly LessonEvent[];
  rollbacks?: readonly RollbackEvent[];
  regressions?: readonly RegressionEvent[];
  /** The environment's drifts. */
  drifts?: readonly DriftPoint[];
  /** Wall time of the strategy's run on the environment. */
  wallMs: number;
}

/**
 * The figures of one strategy on one environment. Per-episode averages and the
 * success rate are 0 for an empty stream; tokens count agent and learning,
 * prompt and completion.
 */
export function summarize({
  episodes,
  lessons = [],
  rollbacks = [],
  regressions = [],
  drifts = [],
  wallMs,
}: SummarizeParams): StrategySummary {
  const ordered = inStreamOrder(episodes);
  const count = ordered.length;
  const mean = (value: (episode: EpisodeRecord) => number): number =>
    count === 0 ? 0 : ordered.reduce((sum, episode) => sum + value(episode), 0) / count;
  const countLessons = (outcome: LessonEvent["outcome"], bad: boolean): number =>
    lessons.filter((lesson) => lesson.outcome === outcome && (!bad || lesson.grade === "incorrect")).length;

  const measured = ordered.flatMap((episode) => (episode.recall === undefined ? [] : [episode.recall]));
  const recall =
    measured.length === 0
      ? {}
      : { recall: { applicable: measured.reduce((sum, entry) => sum + entry.applicable, 0), served: measured.reduce((sum, entry) => sum + entry.served, 0) } };

  const withExamples = ordered.flatMap((episode) => (episode.examples === undefined ? [] : [episode.examples]));
  const sum = (value: (entry: (typeof withExamples)[number]) => number) => withExamples.reduce((total, entry) => total + value(entry), 0);
  const examples =
    withExamples.length === 0
      ? {}
      : {
          examples: {
            served: sum((entry) => entry.served),
            staleServed: sum((entry) => entry.staleServed),
            lessonTokensPerEpisode: sum((entry) => entry.lessonTokens) / withExamples.length,
            exampleTokensPerEpisode: sum((entry) => entry.exampleTokens) / withExamples.length,
          },
        };

  // Parsed on the way out: a NaN or negative figure is a harness bug, caught here rather than in the report.
  return parseWith(
    StrategySummarySchema,
    {
      successRate: mean((episode) => (episode.passed ? 1 : 0)),
      adaptation: adaptationAfterDrifts(ordered, drifts),
      regressions: regressions.length,
      lessonsMerged: countLessons("merged", false),
      badLessonsMerged: countLessons("merged", true),
      lessonsRejected: countLessons("rejected", false),
      badLessonsRejected: countLessons("rejected", true),
      rollbacks: rollbacks.length,
      modelCallsPerEpisode: mean((episode) => episode.agent.calls + episode.learning.calls),
      tokensPerEpisode: mean(
        (episode) =>
          episode.agent.promptTokens +
          episode.agent.completionTokens +
          episode.learning.promptTokens +
          episode.learning.completionTokens,
      ),
      contextTokensPerEpisode: mean((episode) => episode.contextTokens),
      ...recall,
      ...examples,
      finalMemorySize: ordered.at(-1)?.memorySize ?? 0,
      wallMs,
    },
    "strategy summary",
  );
}
