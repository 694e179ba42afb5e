import { LessonloopError } from "@lessonloop/core";
import { parseWith } from "@lessonloop/core/internal";
import { z } from "zod";
import { MeanIntervalSchema, PairedDifferenceSchema } from "../harness/multi-seed-results.js";
import type { BenchmarkResults, StrategyName, StrategySummary } from "../harness/results.js";
import { meanWithCi95, pairedDifference } from "../harness/statistics.js";
import type { SweepJob } from "./sweep-grid.js";

/** The mark of the files `pnpm bench:sweep` writes. */
export const GENERATED_BY_SWEEP = "by pnpm bench:sweep — do not edit";

const count = z.number().int().nonnegative();
const rate = z.number().min(0).max(1);

/** One strategy at one grid point: success over seeds and what it cost. */
export const SweepArmSchema = z
  .object({
    /** Success (0–1): mean over seeds with its 95% interval. */
    success: MeanIntervalSchema,
    /** Each seed's success, in the order of the sweep's seeds. */
    successPerSeed: z.array(rate),
    /** Means over seeds (and environments, for the overall cell). */
    callsPerEpisode: z.number().nonnegative(),
    tokensPerEpisode: z.number().nonnegative(),
    /** Summed over seeds (and environments). */
    merged: count,
    wrongMerged: count,
  })
  .strict();
export type SweepArm = z.infer<typeof SweepArmSchema>;

/** lessonloop − unvalidated success (0–1) per seed: mean, 95% interval, seeds won, lost and tied. */
export const SweepPairSchema = z
  .object({ ...PairedDifferenceSchema.shape, mean: z.number().min(-1).max(1), ci95: z.tuple([z.number().min(-1).max(1), z.number().min(-1).max(1)]) })
  .strict();

export const SweepCellSchema = z.object({ lessonloop: SweepArmSchema, unvalidated: SweepArmSchema, paired: SweepPairSchema }).strict();
export type SweepCell = z.infer<typeof SweepCellSchema>;

const LearnerRatesSchema = z
  .object({ falseLessonRate: rate, overGeneralRate: rate, credulityInjection: rate, credulityFeedback: rate })
  .strict();

export const SweepPointSchema = z
  .object({
    learnerErrorScale: z.number().nonnegative(),
    validatorMisreadRate: rate,
    /** The learner's rates at this point (defaults × scale, clipped to 1). */
    learnerRates: LearnerRatesSchema,
    /** lessonloop's validators' misread rates at this point. */
    validatorErrorRates: z.array(rate),
    /** Every environment together: each seed's success is its mean over the environments. */
    overall: SweepCellSchema,
    environments: z.array(SweepCellSchema.extend({ name: z.string() })),
  })
  .strict();
export type SweepPoint = z.infer<typeof SweepPointSchema>;

/** `sweep.json`: lessonloop against unvalidated learning over a grid of learner and validator error rates. */
export const SweepResultsSchema = z
  .object({
    schemaVersion: z.literal(1),
    generated: z.literal(GENERATED_BY_SWEEP),
    mode: z.literal("sim"),
    seeds: z.array(z.number().int()).min(1),
    episodes: count,
    probes: count,
    environments: z.array(z.string()).min(1),
    grid: z.object({ learnerErrorScales: z.array(z.number().nonnegative()).min(1), validatorMisreadRates: z.array(rate).min(1) }).strict(),
    /** The learner's rates at scale 1. */
    defaultLearnerRates: LearnerRatesSchema,
    startedAt: z.string(),
    wallMs: z.number().nonnegative(),
    jobs: count,
    machine: z.object({ cpus: count, node: z.string(), platform: z.string() }).strict(),
    points: z.array(SweepPointSchema),
  })
  .strict();
export type SweepResults = z.infer<typeof SweepResultsSchema>;

/** What the sweep reads of one seed of one strategy: its summary, per environment. */
interface SeedFigures {
  success: number;
  calls: number;
  tokens: number;
  merged: number;
  wrongMerged: number;
}

const figuresOf = (summary: StrategySummary): SeedFigures => ({
  success: summary.successRate,
  calls: summary.modelCallsPerEpisode,
  tokens: summary.tokensPerEpisode,
  merged: summary.lessonsMerged,
  wrongMerged: summary.badLessonsMerged,
});

const mean = (values: readonly number[]) => values.reduce((sum, value) => sum + value, 0) / Math.max(1, values.length);
const sum = (values: readonly number[]) => values.reduce((total, value) => total + value, 0);

function arm(perSeed: readonly SeedFigures[]): SweepArm {
  return {
    success: meanWithCi95(perSeed.map((figures) => figures.success), { within: [0, 1] }),
    successPerSeed: perSeed.map((figures) => figures.success),
    callsPerEpisode: mean(perSeed.map((figures) => figures.calls)),
    tokensPerEpisode: mean(perSeed.map((figures) => figures.tokens)),
    merged: sum(perSeed.map((figures) => figures.merged)),
    wrongMerged: sum(perSeed.map((figures) => figures.wrongMerged)),
  };
}

function cell(lessonloop: readonly SeedFigures[], unvalidated: readonly SeedFigures[]): SweepCell {
  const paired = pairedDifference(
    lessonloop.map((figures) => figures.success),
    unvalidated.map((figures) => figures.success),
    { within: [-1, 1] },
  );
  return { lessonloop: arm(lessonloop), unvalidated: arm(unvalidated), paired };
}

/** Each environment's figures averaged (counts summed): one seed over every environment. */
function acrossEnvironments(figures: readonly SeedFigures[]): SeedFigures {
  return {
    success: mean(figures.map((f) => f.success)),
    calls: mean(figures.map((f) => f.calls)),
    tokens: mean(figures.map((f) => f.tokens)),
    merged: sum(figures.map((f) => f.merged)),
    wrongMerged: sum(figures.map((f) => f.wrongMerged)),
  };
}

export interface CombineSweepParams {
  /** The jobs the pool ran, and their results in the same order. */
  jobs: readonly SweepJob[];
  runs: readonly BenchmarkResults[];
  seeds: readonly number[];
  scales: readonly number[];
  misreads: readonly number[];
  environments: readonly string[];
  episodes: number;
  probes: number;
  defaultLearnerRates: z.infer<typeof LearnerRatesSchema>;
  startedAt: string;
  wallMs: number;
  concurrency: number;
}

/**
 * Puts the sweep's runs together: per grid point (learner error scale ×
 * validator misread rate) and environment, lessonloop's and unvalidated's
 * success over seeds, their costs and the paired difference — unvalidated's
 * runs at a scale serve every misread rate. Validated against
 * `SweepResultsSchema`.
 *
 * @throws LessonloopError `invalid_input` when a run the grid needs is missing.
 */
export function combineSweep(params: CombineSweepParams): SweepResults {
  const { jobs, runs, seeds, scales, misreads, environments } = params;
  const byKey = new Map<string, BenchmarkResults>();
  jobs.forEach((job, at) => {
    const run = runs[at];
    if (run !== undefined) byKey.set(`${job.strategies[0]}|${job.learnerErrorScale}|${job.validatorMisreadRate ?? "-"}|${job.seed}`, run);
  });
  const figures = (strategy: StrategyName, scale: number, misread: number | null, seed: number, environment: string): SeedFigures => {
    const run = byKey.get(`${strategy}|${scale}|${misread ?? "-"}|${seed}`);
    const summary = run?.environments.find((entry) => entry.name === environment)?.strategies.find((entry) => entry.strategy === strategy)?.summary;
    if (summary === undefined) {
      throw new LessonloopError("invalid_input", `The sweep has no ${strategy} run of ${environment} for seed ${seed} at learner scale ${scale}${misread === null ? "" : `, misread ${misread}`}.`);
    }
    return figuresOf(summary);
  };
  const first = runs[0];
  if (first === undefined) throw new LessonloopError("invalid_input", "combineSweep needs the sweep's runs.");
  const points = scales.flatMap((scale) =>
    misreads.map((misread) => {
      const perEnvironment = environments.map((name) => ({
        name,
        lessonloop: seeds.map((seed) => figures("lessonloop", scale, misread, seed, name)),
        unvalidated: seeds.map((seed) => figures("unvalidated", scale, null, seed, name)),
      }));
      const overall = (side: "lessonloop" | "unvalidated") =>
        seeds.map((_, at) => acrossEnvironments(perEnvironment.map((entry) => entry[side][at] as SeedFigures)));
      const job = jobs.find((candidate) => candidate.learnerErrorScale === scale && candidate.validatorMisreadRate === misread);
      return {
        learnerErrorScale: scale,
        validatorMisreadRate: misread,
        learnerRates: {
          falseLessonRate: job?.simRates?.falseLessonRate ?? 0,
          overGeneralRate: job?.simRates?.overGeneralRate ?? 0,
          credulityInjection: job?.simRates?.credulityInjection ?? 0,
          credulityFeedback: job?.simRates?.credulityFeedback ?? 0,
        },
        validatorErrorRates: job?.simRates?.validatorErrorRates ?? [],
        overall: cell(overall("lessonloop"), overall("unvalidated")),
        environments: perEnvironment.map((entry) => ({ name: entry.name, ...cell(entry.lessonloop, entry.unvalidated) })),
      };
    }),
  );
  return parseWith(
    SweepResultsSchema,
    {
      schemaVersion: 1,
      generated: GENERATED_BY_SWEEP,
      mode: "sim",
      seeds,
      episodes: params.episodes,
      probes: params.probes,
      environments,
      grid: { learnerErrorScales: scales, validatorMisreadRates: misreads },
      defaultLearnerRates: params.defaultLearnerRates,
      startedAt: params.startedAt,
      wallMs: params.wallMs,
      jobs: params.concurrency,
      machine: first.machine,
      points,
    },
    "sweep results",
  );
}
