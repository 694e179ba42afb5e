import { type Outcome } from "@lessonloop/core";
import { EdgeCaseCheckSchema, IdSchema, SignalSourceSchema, TimestampSchema } from "@lessonloop/core/internal";
import { z } from "zod";

/** Longest error or detail text a judgement keeps; longer texts are cut with "…". */
export const MAX_DETAIL = 10_000;
/** Longest summary a judgement keeps. */
export const MAX_SUMMARY = 4_000;

/**
 * How an episode went, as the critic sees it. `recovered` is a success in
 * which a tool failed and a later call of the same tool worked: the task got
 * done, and the recovery is worth remembering.
 */
export const JudgementStatusSchema = z.enum(["success", "failure", "recovered", "unknown"]);
export type JudgementStatus = z.infer<typeof JudgementStatusSchema>;

/** A tool call as the trajectory recorded it. */
export const ToolCallRefSchema = z
  .object({
    name: z.string().min(1).max(200),
    args: z.record(z.string(), z.unknown()),
  })
  .strict();
export type ToolCallRef = z.infer<typeof ToolCallRefSchema>;

/** What went wrong: the failing step of the trajectory (when known) and its error text. */
export const FailureSchema = z
  .object({
    /** Index of the failing step in `episode.trajectory`. */
    step: z.number().int().min(0).optional(),
    /** The tool that failed, when a tool did. */
    tool: z.string().min(1).max(200).optional(),
    /** The error text: the tool's error, the feedback, the evaluator's or judge's reason. */
    error: z.string().max(MAX_DETAIL),
  })
  .strict();
export type Failure = z.infer<typeof FailureSchema>;

/** A tool error the agent recovered from by calling the same tool again. */
export const RecoverySchema = z
  .object({
    /** The step holding the failed result, and the error it carried. */
    errorStep: z.number().int().min(0),
    error: z.string().max(MAX_DETAIL),
    /** The call that failed. */
    failedCall: ToolCallRefSchema,
    /** The step holding the later successful result of the same tool. */
    retryStep: z.number().int().min(0),
    /** The call that worked: what the agent should have done in the first place. */
    retryCall: ToolCallRefSchema,
  })
  .strict();
export type Recovery = z.infer<typeof RecoverySchema>;

/** Longest flagged text a judgement keeps; longer spans are cut with "…". */
export const MAX_MEMORY_INSTRUCTION_CHARS = 500;
/** Most flagged spans a judgement keeps (the first ones, task input first). */
export const MAX_MEMORY_INSTRUCTIONS = 20;

/**
 * Text in an episode that addresses the agent's memory or instructions ("note
 * to the assistant's memory: …", "ignore previous instructions", "SYSTEM: from
 * now on …"), and where it was: the task input, a user message of the
 * trajectory, or a tool's output.
 */
export const MemoryInstructionSchema = z
  .object({
    source: z.enum(["task_input", "user_message", "tool_output"]),
    /** Index in `episode.trajectory` of the step holding it; none for the task input. */
    step: z.number().int().min(0).optional(),
    /** The tool whose result held it, when the step is a tool result. */
    tool: z.string().min(1).max(200).optional(),
    /**
     * The flagged text as the detector read it: invisible characters removed,
     * look-alike and full-width letters folded, markdown marks dropped,
     * whitespace collapsed; cut at {@link MAX_MEMORY_INSTRUCTION_CHARS}.
     */
    text: z.string().min(1).max(MAX_MEMORY_INSTRUCTION_CHARS),
  })
  .strict();
export type MemoryInstruction = z.infer<typeof MemoryInstructionSchema>;

/** The critic's decision on one episode, written to the state key `judgement`. */
export const JudgementSchema = z
  .object({
    /** The episode judged. */
    episodeId: IdSchema,
    status: JudgementStatusSchema,
    /** The signal that decided `status`, and its text. */
    signal: z
      .object({
        source: SignalSourceSchema,
        detail: z.string().max(MAX_DETAIL),
      })
      .strict(),
    /** What went wrong or right, in one or two sentences. */
    summary: z.string().max(MAX_SUMMARY),
    /** For failures (and for successes reached after a tool error): the failing step and error. */
    failure: FailureSchema.optional(),
    /** For `recovered`: the failed call and the retry that worked. */
    recovery: RecoverySchema.optional(),
    /** A deterministic check for this task, when the evaluator named one (e.g. an `environment` predicate). */
    check: EdgeCaseCheckSchema.optional(),
    /**
     * When the user's word decided: a deterministic signal of the same
     * episode that says the opposite — a tool error never recovered after
     * positive feedback, or the evaluator failing (passing) an episode the
     * user praised (blamed). The user's word still decides the outcome; a case
     * stored from it carries nothing on its own (see `CaseTruth.contradictedBy`).
     */
    contradictedBy: z
      .object({
        source: z.enum(["environment", "evaluator"]),
        detail: z.string().max(MAX_DETAIL),
      })
      .strict()
      .optional(),
    /**
     * Text in the task input, the user's messages or a tool output that
     * addresses the agent's memory or instructions; none when nothing was
     * flagged (and in judgements made before the critic flagged such text).
     * Never a lesson by itself: the learner drops a candidate that only restates one.
     */
    memoryInstructions: z.array(MemoryInstructionSchema).max(MAX_MEMORY_INSTRUCTIONS).optional(),
    /** Whether the learner should propose lessons from this episode, and why (not). */
    worthLearning: z
      .object({
        learn: z.boolean(),
        reason: z.string().max(1_000),
      })
      .strict(),
    judgedAt: TimestampSchema,
  })
  .strict();
export type Judgement = z.infer<typeof JudgementSchema>;
export type JudgementInput = z.input<typeof JudgementSchema>;

/**
 * The judgement as a core `Outcome`, for the episode record and the outcome
 * ledger: `recovered` counts as `success`.
 */
export function judgementOutcome(judgement: Pick<Judgement, "status" | "signal">): Outcome {
  const status = judgement.status === "recovered" ? "success" : judgement.status;
  return { status, signal: { ...judgement.signal } };
}
