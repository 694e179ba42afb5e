import type { Judgement } from "@lessonloop/critic";
import type { EdgeCase, Lesson, LessonInput, Verdict } from "@lessonloop/core";
import type { ModelUsage } from "@lessonloop/core/internal";
import type { LearnerWarning, Reinforcement } from "@lessonloop/learner";
import type { RegressionCheck } from "@lessonloop/regression-monitor";
import type { MergeResult } from "@lessonloop/snapshot-checkpointer";
import type { ExampleRecording } from "./example-recorder.js";

/**
 * What became of a judged candidate: the merge node's result (`merged`,
 * `already_merged`, `duplicate` of a lesson merged meanwhile, `rejected`), or `parked` — approved by the ensemble but
 * waiting in the pending-lesson store for a human (`lessonloop approve`).
 */
export type LessonOutcome = MergeResult | { status: "parked"; lessonId: string };

/** What became of one candidate lesson of an episode. */
export interface LessonResult {
  /** The candidate as the ensemble judged it. */
  lesson: LessonInput;
  /** The ensemble's verdict, with every vote and its evidence. */
  verdict: Verdict;
  /** Merged, already merged, rejected, or parked for a human. */
  outcome: LessonOutcome;
}

/** What the learning graph made of one episode. */
export interface LearningResult {
  episodeId: string;
  /** The critic's judgement: outcome, deciding signal, what went wrong or right. */
  judgement: Judgement | undefined;
  /** Lessons the learner proposed. */
  candidates: Lesson[];
  /** Live lessons the episode confirmed instead of adding a paraphrase. */
  reinforcements: Reinforcement[];
  /** The episode as an edge case (`must_pass` for a failure, `regression` for a success). */
  edgeCases: EdgeCase[];
  /** Each candidate's verdict and merge, in order. */
  lessons: LessonResult[];
  /** Ids of the lessons that became live. */
  merged: string[];
  /** Ids of the lessons parked for a human's approval. */
  parked: string[];
  /** What the regression monitor said after the outcome was recorded. */
  regressionCheck: RegressionCheck | undefined;
  /** What the episode did to the examples (kept, strengthened, made others stale); undefined when examples are off or it was not judged. */
  example?: ExampleRecording | undefined;
  /** What the learner could not do (e.g. a malformed model answer). */
  learnerWarnings: LearnerWarning[];
  /** What learning from the episode cost. */
  usage: LearningUsage;
}

/** Model calls and tokens one learning episode spent. */
export interface LearningUsage {
  /** Validating its candidates, as the replay runners reported it (the verdicts' `usage`, summed). */
  validation: ModelUsage;
  /** Every chat model call of the learning path — critic's judge, learner, repairs, role-playing validators — with the tokens each reported. */
  models: ModelUsage;
}
