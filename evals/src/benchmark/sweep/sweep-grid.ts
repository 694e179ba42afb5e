import type { PoolJob } from "../harness/seed-pool.js";
import { DEFAULT_LEARNER_RATES, type LearnerRates } from "../sim/index.js";

/**
 * Multiples of the simulated learner's default error rates: none, the default, four times (its
 * credulity then capped at 1). With the misread rates and 3 seeds: 18 lessonloop and 9 unvalidated
 * runs, 8 minutes on 2 cores that other work shared (`--scales 0,1,2,4 --misreads 0,0.03,0.1` is
 * the finer grid, about twice as long).
 */
export const DEFAULT_LEARNER_ERROR_SCALES = [0, 1, 4] as const;

/** Chances that a validator misreads one replay (each of the three validators alike): never, and 2–5× the default validators' rates. */
export const DEFAULT_VALIDATOR_MISREAD_RATES = [0, 0.1] as const;

/** The validators of the simulated suite: three peers. */
export const VALIDATORS = 3;

/**
 * The learner's four error rates at `scale` × their defaults, each clipped
 * to 1: false lessons, over-general ones, credulity toward injected
 * instructions and toward wrong feedback.
 */
export function learnerRatesAt(scale: number, defaults: LearnerRates = DEFAULT_LEARNER_RATES): LearnerRates {
  if (!Number.isFinite(scale) || scale < 0) throw new RangeError(`A learner error scale is a finite number ≥ 0, got ${scale}.`);
  const scaled = (rate: number) => Math.min(1, rate * scale);
  return {
    falseLessonRate: scaled(defaults.falseLessonRate),
    overGeneralRate: scaled(defaults.overGeneralRate),
    credulityInjection: scaled(defaults.credulityInjection),
    credulityFeedback: scaled(defaults.credulityFeedback),
  };
}

/** One seed of one side of the sweep: lessonloop at a grid point, or unvalidated at a learner scale. */
export interface SweepJob extends PoolJob {
  learnerErrorScale: number;
  /** `null` for unvalidated learning: it has no validators, so one run serves every misread rate. */
  validatorMisreadRate: number | null;
}

export interface SweepJobsParams {
  scales: readonly number[];
  misreads: readonly number[];
  seeds: readonly number[];
  environments: readonly string[];
  episodes: number;
  probes: number;
}

/**
 * Every run the sweep needs: lessonloop for each scale × misread rate × seed,
 * and unvalidated for each scale × seed only (validators do not touch it).
 * lessonloop's runs come first: they are the long ones, so the pool ends
 * with short runs and its processes finish close together.
 */
export function sweepJobs({ scales, misreads, seeds, environments, episodes, probes }: SweepJobsParams): SweepJob[] {
  const base = { mode: "sim" as const, environments: [...environments], episodes, probes };
  const lessonloop = scales.flatMap((scale) =>
    misreads.flatMap((misread) =>
      seeds.map((seed) => ({
        ...base,
        seed,
        strategies: ["lessonloop" as const],
        simRates: { ...learnerRatesAt(scale), validatorErrorRates: Array.from({ length: VALIDATORS }, () => misread) },
        learnerErrorScale: scale,
        validatorMisreadRate: misread,
      })),
    ),
  );
  const unvalidated = scales.flatMap((scale) =>
    seeds.map((seed) => ({
      ...base,
      seed,
      strategies: ["unvalidated" as const],
      simRates: learnerRatesAt(scale),
      learnerErrorScale: scale,
      validatorMisreadRate: null,
    })),
  );
  return [...lessonloop, ...unvalidated];
}
