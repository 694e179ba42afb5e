import { Annotation } from "@langchain/langgraph";
import { CriticStateAnnotation } from "@lessonloop/critic";
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
export interface LearnerWarning {
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
  /** What the learner could not do, e.g. a malformed model answer. */
  learnerWarnings: Annotation<LearnerWarning[]>({ reducer: replace, default: () => [] }),
});
export type LearnerState = typeof LearnerStateAnnotation.State;
