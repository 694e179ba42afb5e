import { parseWith } from "@lessonloop/core/internal";
import { z } from "zod";
import type { World } from "../environments/world.js";
import type { ModelSuite, ValidatorSpec } from "../harness/model-suite.js";
import { createSimAgent } from "./sim-agent.js";
import { DEFAULT_LEARNER_RATES, createSimLearnerModel, createSimReflector, createUsageCounter } from "./sim-learner-model.js";

/** Parameters of {@link createSimSuite}: every rate of the simulation. */
export interface SimSuiteParams {
  /** Seed of every simulated model. Default 1. */
  seed?: number;
  /** The agent's chance of an ordinary mistake on a task. Default 0.03. */
  baseMistakeRate?: number;
  /** The agent's chance of following one directive in its context. Default 0.98. */
  followRate?: number;
  /**
   * The agent's chance of failing to understand one sentence of its lessons
   * (it reads them by meaning, not by an expected wording), the same for every
   * strategy on the same task and text. Default 0.05.
   */
  lessonMisreadRate?: number;
  /** The learner's chance of a false lesson (wrong value or name). Default 0.08. */
  falseLessonRate?: number;
  /** The learner's chance of an over-general lesson (all tools, or the whole tenant). Default 0.1. */
  overGeneralRate?: number;
  /** The learner's chance of turning an instruction injected in tool output into a lesson. Default 0.3. */
  credulityInjection?: number;
  /** The learner's chance of following feedback that asks to change a value the task stated. Default 0.35. */
  credulityFeedback?: number;
  /**
   * Error rates of the peer validators `peer-1`, `peer-2`, …: each one's chance
   * of misreading one replay (a validator replays ~10 cases twice per lesson,
   * so 0.05 is already a one-in-three chance of some misreading per vote).
   * Default [0.02, 0.03, 0.05].
   */
  validatorErrorRates?: readonly number[];
}

const rate = z.number().min(0).max(1);
const ParamsSchema = z.object({
  seed: z.number().int(),
  baseMistakeRate: rate,
  followRate: rate,
  lessonMisreadRate: rate,
  falseLessonRate: rate,
  overGeneralRate: rate,
  credulityInjection: rate,
  credulityFeedback: rate,
  validatorErrorRates: z.array(rate).min(1).max(15),
});

/**
 * The offline model suite: the simulated agent (also each validator's replay
 * agent: the validators' misreadings are their `errorRate`, applied by the
 * replay runner), the simulated learner model, no critic model (the
 * deterministic signals decide), three peer validators and the simulated
 * reflector. Everything is seeded; `parameters` lists every rate.
 */
export function createSimSuite({
  seed = 1,
  baseMistakeRate = 0.03,
  followRate = 0.98,
  lessonMisreadRate = 0.05,
  falseLessonRate = DEFAULT_LEARNER_RATES.falseLessonRate,
  overGeneralRate = DEFAULT_LEARNER_RATES.overGeneralRate,
  credulityInjection = DEFAULT_LEARNER_RATES.credulityInjection,
  credulityFeedback = DEFAULT_LEARNER_RATES.credulityFeedback,
  validatorErrorRates = [0.02, 0.03, 0.05],
}: SimSuiteParams = {}): ModelSuite {
  const params = parseWith(
    ParamsSchema,
    { seed, baseMistakeRate, followRate, lessonMisreadRate, falseLessonRate, overGeneralRate, credulityInjection, credulityFeedback, validatorErrorRates },
    "sim suite params",
  );
  const learnerRates = { seed, falseLessonRate, overGeneralRate, credulityInjection, credulityFeedback };
  const usage = createUsageCounter();
  const validators: ValidatorSpec[] = params.validatorErrorRates.map((errorRate, index) => ({ id: `peer-${index + 1}`, errorRate }));
  const agentFor = (environment: World) => createSimAgent({ environment, seed, baseMistakeRate, followRate, lessonMisreadRate });

  return {
    mode: "sim",
    parameters: {
      seed,
      "agent.baseMistakeRate": baseMistakeRate,
      "agent.followRate": followRate,
      "agent.lessonMisreadRate": lessonMisreadRate,
      "learner.falseLessonRate": falseLessonRate,
      "learner.overGeneralRate": overGeneralRate,
      "learner.credulityInjection": credulityInjection,
      "learner.credulityFeedback": credulityFeedback,
      ...Object.fromEntries(validators.map((validator) => [`validator.${validator.id}.errorRate`, validator.errorRate])),
      critic: "deterministic signals only",
    },
    createAgent: agentFor,
    // Same seed: a replay of a task makes the same ordinary mistakes as the run it replays.
    createReplayAgent: (environment) => agentFor(environment),
    learnerModel: createSimLearnerModel({ ...learnerRates, usage }),
    criticModel: null,
    validators,
    reflector: createSimReflector(learnerRates),
    learningUsage: () => usage.total(),
  };
}
