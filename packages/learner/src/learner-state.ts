import { Annotation } from "@langchain/langgraph";
import { CriticStateAnnotation, type MemoryInstruction } from "@lessonloop/critic";
import type { EdgeCase, Lesson } from "@lessonloop/core";

/** An episode that confirms a live lesson: the learner proposed the same again. */
export interface Reinforcement {
  /** The live lesson the episode confirms. */
  lessonId: string;
  /** The episode that confirms it. */
  episodeId: string;
  /** How close the candidate came to the lesson (the memory's cosine score). */
  score: number;
}

/** Something the learner survived by proposing less: typed, in state and to `onWarning`. */
export type LearnerWarning = ModelTroubleWarning | RestatedRequestWarning;

/** A model call that failed twice, so the learner proposed (or compared) less. */
export interface ModelTroubleWarning {
  /**
   * `proposal_failed`: the learner model's answer was malformed (or the call
   * failed) twice, so no lessons were proposed. `comparison_failed`: asking
   * whether a candidate says the same as a live lesson failed twice, so it was
   * counted as a reinforcement (memory unchanged).
   */
  kind: "proposal_failed" | "comparison_failed";
  /** `malformed`: the answer did not fit the schema; `failed`: the model call threw. */
  reason: "malformed" | "failed";
  episodeId: string;
  /** What was wrong with the last attempt. */
  message: string;
  /** How many calls were made. */
  attempts: number;
}

/**
 * A candidate dropped before validation because it only restates text in the
 * run that addresses the agent's memory or instructions ("note to the
 * assistant's memory: …", "from now on always …"): such a request is never a
 * lesson by itself.
 */
export interface RestatedRequestWarning {
  kind: "restates_memory_instruction";
  episodeId: string;
  /** Which candidate, what it restates and where that text was. */
  message: string;
  /** The dropped candidate. */
  candidate: { trigger: string; guidance: string };
  /** The flagged text it restates (as the critic flags it), and where it was. */
  flagged: MemoryInstruction;
}

const replace = <T>(_previous: T, next: T): T => next;

/**
 * The state of the learning path up to the learner: the critic's keys
 * (`episode`, `feedback`, `judgement`) and the learner's outputs, each
 * replaced by every run of the learner.
 *
 * ```ts
 * const graph = new StateGraph(LearnerStateAnnotation)
 *   .addNode("critic", createCritic({ model }))
 *   .addNode("learner", createLearner({ model, memory, agentName: "billing" }))
 * ```
 */
export const LearnerStateAnnotation = Annotation.Root({
  ...CriticStateAnnotation.spec,
  /** Proposed lessons (status `proposed`), at most `maxLessons`. */
  candidates: Annotation<Lesson[]>({ reducer: replace, default: () => [] }),
  /** Live lessons this episode confirms instead of adding a paraphrase. */
  reinforcements: Annotation<Reinforcement[]>({ reducer: replace, default: () => [] }),
  /** The episode as a stored case: `must_pass` for a failure to fix, `regression` for a success. */
  edgeCases: Annotation<EdgeCase[]>({ reducer: replace, default: () => [] }),
  /** What the learner could not do or left out, e.g. a malformed model answer, a candidate that restated a request to remember. */
  learnerWarnings: Annotation<LearnerWarning[]>({ reducer: replace, default: () => [] }),
  /** The memory version the candidates were compared with, so their merge can check what was merged after it. */
  comparedAt: Annotation<number | undefined>({ reducer: replace, default: () => undefined }),
});
export type LearnerState = typeof LearnerStateAnnotation.State;
