import type { BaseChatModel } from "@langchain/core/language_models/chat_models";
import type { Episode } from "@lessonloop/core";
import type { World } from "../environments/world.js";
import type { Agent, ModelUsage } from "./agent.js";

/** One peer validator of the lessonloop strategy. */
export interface ValidatorSpec {
  id: string;
  /** Its model (`openai` mode); the simulated validators have none. */
  model?: BaseChatModel;
  /** `sim` only: the chance that this validator misreads one replay's result (independent per validator and replay). */
  errorRate: number;
}

/** A Reflexion-style self-reflection on a failed episode, for the reflection-buffer strategy. */
export interface Reflector {
  reflect(episode: Episode): Promise<{ text: string | undefined; usage: ModelUsage }>;
}

/**
 * Every model of a benchmark run: the agent, the learner, the critic's judge
 * and the validators. `sim` builds simulated ones (offline, seeded), `openai`
 * real ones against an OpenAI-compatible endpoint. The harness never looks
 * inside: it hands the same suite to every strategy.
 */
export interface ModelSuite {
  readonly mode: "sim" | "openai";
  /** Every rate and setting of the suite, printed with the results. */
  readonly parameters: Readonly<Record<string, number | string | boolean>>;
  /** The agent under test in `environment`. */
  createAgent(environment: World): Agent;
  /** The agent a validator's replays run (sim: the simulated agent; openai: the validator's own model with the tools). */
  createReplayAgent(environment: World, validator: ValidatorSpec): Agent;
  /** The learner's model (structured lessons and near-duplicate comparison). */
  readonly learnerModel: BaseChatModel;
  /** The critic's judge, or `null` for deterministic signals only. */
  readonly criticModel: BaseChatModel | null;
  readonly validators: readonly ValidatorSpec[];
  readonly reflector: Reflector;
  /** Calls and tokens of the learner and critic models so far (the harness counts per episode by difference). */
  learningUsage(): ModelUsage;
}
