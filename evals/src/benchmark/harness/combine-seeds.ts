import { LessonloopError } from "@lessonloop/core";
import { parseWith } from "@lessonloop/core/internal";
import { summarizeLatency } from "./metrics.js";
import {
  BenchSummarySchema,
  GENERATED_BY_BENCH,
  MultiSeedResultsSchema,
  SUMMARY_PAIRS,
  type BenchSummary,
  type CompactEpisodes,
  type MultiSeedEnvironment,
  type MultiSeedResults,
  type MultiSeedStrategy,
  type PairedComparison,
} from "./multi-seed-results.js";
import type { BenchmarkResults, EpisodeRecord, StrategyName, StrategyResult } from "./results.js";
import { meanWithCi95, pairedDifference } from "./statistics.js";

/**
 * One strategy's episodes as parallel lists in stream order. The stream must
 * be whole (indices 0 … n − 1): a position stands for its episode index.
 */
export function compactEpisodes(episodes: readonly EpisodeRecord[]): CompactEpisodes {
  const ordered = [...episodes].sort((a, b) => a.index - b.index);
  const gap = ordered.findIndex((episode, position) => episode.index !== position);
  if (gap !== -1) {
    throw new LessonloopError("invalid_input", `Episode ${gap} of the stream is missing or repeated: compact episodes need indices 0 to ${ordered.length - 1}.`);
  }
  return {
    passed: ordered.map((episode) => (episode.passed ? "1" : "0")).join(""),
    calls: ordered.map((episode) => episode.agent.calls + episode.learning.calls),
    tokens: ordered.map(
      (episode) => episode.agent.promptTokens + episode.agent.completionTokens + episode.learning.promptTokens + episode.learning.completionTokens,
    ),
    memorySize: ordered.map((episode) => episode.memorySize),
  };
}

const sum = (values: readonly number[]) => values.reduce((total, value) => total + value, 0);
const mean = (values: readonly number[]) => sum(values) / values.length;

function withoutSeed(parameters: BenchmarkResults["parameters"]): BenchmarkResults["parameters"] {
  return Object.fromEntries(Object.entries(parameters).filter(([key]) => key !== "seed"));
}

function mismatch(seed: number, first: number, what: string): LessonloopError {
  return new LessonloopError("invalid_input", `Seed ${seed}'s ${what} differ from seed ${first}'s: the seeds of one results.json must run the same benchmark.`);
}

/** Applicable lessons served / applicable over seeds; `undefined` when no seed measured it, `null` when nothing applied. */
function pooledRecall(summaries: readonly StrategyResult["summary"][]): number | null | undefined {
  const measured = summaries.flatMap((summary) => (summary.recall === undefined ? [] : [summary.recall]));
  if (measured.length === 0) return undefined;
  const applicable = sum(measured.map((recall) => recall.applicable));
  return applicable === 0 ? null : sum(measured.map((recall) => recall.served)) / applicable;
}

/** Every seed's run of one strategy, with the figures over seeds. */
function combineStrategy(perSeed: readonly StrategyResult[], seeds: readonly number[]): MultiSeedStrategy {
  const summaries = perSeed.map((result) => result.summary);
  const strategy = perSeed[0]?.strategy ?? "static";
  const servedRecall = pooledRecall(summaries);
  return {
    strategy,
    aggregate: {
      success: meanWithCi95(summaries.map((summary) => summary.successRate), { within: [0, 1] }),
      callsPerEpisode: mean(summaries.map((summary) => summary.modelCallsPerEpisode)),
      tokensPerEpisode: mean(summaries.map((summary) => summary.tokensPerEpisode)),
      contextTokensPerEpisode: mean(summaries.map((summary) => summary.contextTokensPerEpisode)),
      ...(servedRecall === undefined ? {} : { servedRecall }),
      merged: sum(summaries.map((summary) => summary.lessonsMerged)),
      wrongMerged: sum(summaries.map((summary) => summary.badLessonsMerged)),
      rejected: sum(summaries.map((summary) => summary.lessonsRejected)),
      wrongRejected: sum(summaries.map((summary) => summary.badLessonsRejected)),
      regressions: sum(summaries.map((summary) => summary.regressions)),
      rollbacks: sum(summaries.map((summary) => summary.rollbacks)),
      adaptationLatency: summarizeLatency(summaries.flatMap((summary) => summary.adaptation)),
    },
    seeds: perSeed.map((result, at) => ({
      seed: seeds[at] ?? Number.NaN,
      summary: result.summary,
      episodes: compactEpisodes(result.episodes),
      lessons: result.lessons,
      rollbacks: result.rollbacks,
      regressions: result.regressions,
    })),
  };
}

/** The paired success comparisons of `SUMMARY_PAIRS` whose two strategies both ran. */
function pairedComparisons(strategies: readonly MultiSeedStrategy[]): PairedComparison[] {
  const successes = (name: StrategyName) => strategies.find((entry) => entry.strategy === name)?.seeds.map((run) => run.summary.successRate);
  return SUMMARY_PAIRS.flatMap(([strategy, baseline]) => {
    const a = successes(strategy);
    const b = successes(baseline);
    if (a === undefined || b === undefined) return [];
    return [{ strategy, baseline, ...pairedDifference(a, b, { within: [-1, 1] }) }];
  });
}

export interface CombineSeedRunsParams {
  /** One `runBenchmark` result per seed, in the order the seeds were asked for. */
  runs: readonly BenchmarkResults[];
  /** When the whole run started (ISO). */
  startedAt: string;
  /** Wall time of the whole run. */
  wallMs: number;
  /** Seeds that ran at once. */
  jobs: number;
}

/**
 * Puts the seeds of one run together as `results.json` (schema version 2):
 * per environment and strategy, the mean success over seeds with its 95%
 * interval, costs, counts summed over seeds, pooled adaptation latency, paired
 * comparisons, and every seed's own figures, lessons and compact episodes.
 *
 * @throws LessonloopError `invalid_input` when the seeds did not run the same
 * benchmark (mode, episodes, environments, strategies, drifts or settings differ).
 */
export function combineSeedRuns({ runs, startedAt, wallMs, jobs }: CombineSeedRunsParams): MultiSeedResults {
  const [first] = runs;
  if (first === undefined) throw new LessonloopError("invalid_input", "combineSeedRuns needs the results of at least one seed.");
  const seeds = runs.map((run) => run.seed);
  const shape = (run: BenchmarkResults) =>
    JSON.stringify(run.environments.map((environment) => [environment.name, environment.drifts, environment.strategies.map((s) => s.strategy)]));
  for (const run of runs) {
    if (run.mode !== first.mode || run.episodes !== first.episodes) throw mismatch(run.seed, first.seed, "mode or episodes");
    if (shape(run) !== shape(first)) throw mismatch(run.seed, first.seed, "environments, drifts or strategies");
    if (JSON.stringify(withoutSeed(run.parameters)) !== JSON.stringify(withoutSeed(first.parameters))) throw mismatch(run.seed, first.seed, "parameters");
  }
  const environments: MultiSeedEnvironment[] = first.environments.map((environment, at) => {
    const strategies = environment.strategies.map((entry, index) =>
      combineStrategy(
        runs.map((run) => run.environments[at]?.strategies[index] ?? entry),
        seeds,
      ),
    );
    return {
      name: environment.name,
      description: environment.description,
      drifts: environment.drifts,
      strategies,
      paired: pairedComparisons(strategies),
    };
  });
  return parseWith(
    MultiSeedResultsSchema,
    {
      schemaVersion: 2,
      generated: GENERATED_BY_BENCH,
      mode: first.mode,
      seeds,
      episodes: first.episodes,
      parameters: withoutSeed(first.parameters),
      startedAt,
      wallMs,
      jobs,
      machine: first.machine,
      environments,
    },
    "multi-seed benchmark results",
  );
}

/** `summary.json`: the headline figures of `results` in the shape other tools read (validated). */
export function summaryOfResults(results: MultiSeedResults): BenchSummary {
  const worlds = Object.fromEntries(
    results.environments.map((environment) => [
      environment.name,
      {
        strategies: Object.fromEntries(
          environment.strategies.map(({ strategy, aggregate }) => [
            strategy,
            {
              successMean: aggregate.success.mean,
              successCi95: aggregate.success.ci95,
              callsPerEpisode: aggregate.callsPerEpisode,
              tokensPerEpisode: aggregate.tokensPerEpisode,
              // Beside the figures of strategies that retrieve lessons: one retrieval per task, so per step.
              ...(aggregate.servedRecall === undefined ? {} : { servedRecall: aggregate.servedRecall, lessonTokensPerStep: aggregate.contextTokensPerEpisode }),
              merged: aggregate.merged,
              wrongMerged: aggregate.wrongMerged,
              regressions: aggregate.regressions,
              rollbacks: aggregate.rollbacks,
            },
          ]),
        ),
        paired: Object.fromEntries(
          environment.paired.map((pair) => [`${pair.strategy}-${pair.baseline}`, { mean: pair.mean, ci95: pair.ci95, seedsWon: pair.seedsWon }]),
        ),
      },
    ]),
  );
  return parseWith(BenchSummarySchema, { schemaVersion: 1, mode: results.mode, seeds: results.seeds, worlds }, "benchmark summary");
}
