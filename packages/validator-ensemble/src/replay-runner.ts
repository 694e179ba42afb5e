import { type EdgeCase, type Lesson } from "@lessonloop/core";
import { ModelUsageSchema, type ModelUsage } from "@lessonloop/core/internal";
import { z } from "zod";
import type { Validator } from "./validator.js";

/** One replay: run the agent on `edgeCase`, with `lesson` in its context or (undefined) without. */
export interface ReplayRequest {
  /** The stored case to re-run; its `check` decides pass or fail. */
  edgeCase: EdgeCase;
  /** The candidate lesson, or `undefined` for the baseline run without it. */
  lesson: Lesson | undefined;
  /**
   * The other lessons in the agent's context, in BOTH runs: those memory
   * serves on this case (the ensemble's `servedLessons`; a lesson the
   * candidate supersedes only in the run without it) and the other candidates
   * proposed from the same episode (a failure with two causes needs two
   * lessons, each judged by what it adds to the others). Put them in the
   * agent's context as the live path would. The ensemble always passes it;
   * absent means none.
   */
  companions?: readonly Lesson[];
  /** The validator this replay is for: a role-play runner uses its model and prompt. */
  validator: Validator;
  /**
   * 1 for a case's first replay by this validator; 2 when the replay re-checks
   * a break before it may veto the lesson. A runner that samples (a model, a
   * seeded simulator) should draw afresh for a new attempt. Absent means 1.
   */
  attempt?: number;
  /**
   * Aborts when the replay times out, the validator gives up, or the graph run
   * is cancelled. Pass it on to every model call, tool and request: the call
   * must really stop.
   */
  signal: AbortSignal;
}

/** What a replay showed. */
export interface ReplayOutcome {
  /** Whether the case's check passed; `null` when the runner could not decide (e.g. no way to check the environment). */
  passed: boolean | null;
  /** What the agent did (an `AgentDecision`, the answer text, …); shown shortened in the evidence note. */
  output?: unknown;
  /** Anything worth keeping with the evidence, e.g. a judge's reason. */
  note?: string;
  /**
   * The model calls and tokens the replay spent, for the ensemble's budget and
   * the loop's reports. A runner that reports none is counted as one call.
   */
  usage?: ModelUsage;
}

/**
 * Re-executes the agent on a stored edge case in a safe mode and applies the
 * case's check. A sandbox or simulator that re-runs the real agent implements
 * it; `createRolePlayRunner` is the fallback that asks the validator's model to
 * role-play the agent's next decision.
 *
 * A runner may throw: the ensemble records the replay as "could not run"
 * (`null` in the evidence), it never fails the validation.
 */
export interface ReplayRunner {
  replay(request: ReplayRequest): Promise<ReplayOutcome>;
}

/** A runner's answer is parsed: a malformed outcome counts as "could not run", not as a pass or a fail. */
export const ReplayOutcomeSchema = z.object({
  passed: z.boolean().nullable(),
  output: z.unknown().optional(),
  note: z.string().optional(),
  usage: ModelUsageSchema.optional(),
});
