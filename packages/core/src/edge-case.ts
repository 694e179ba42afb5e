import { z } from "zod";
import { SignalSourceSchema, TaskInputSchema } from "./episode.js";
import { IdSchema, TimestampSchema } from "./ids.js";
import { ToolNameSchema } from "./lesson.js";
import { SCOPE_NAME_LIMIT, ScopeSchema } from "./scope.js";
import { stripInvisible } from "./text/invisible.js";

/**
 * How a replay of an edge case is judged. Deterministic checks come first; a
 * rubric is for cases only a judge model can decide. Checks are data: an
 * `environment` check names a predicate the user's replay runner implements.
 */
export const EdgeCaseCheckSchema = z.discriminatedUnion("type", [
  z
    .object({
      type: z.literal("answer"),
      /** Every one of these must appear in the agent's answer (case-insensitive). */
      mustContain: z.array(z.string().min(1).max(1_000)).max(20).default([]),
      /** None of these may appear. */
      mustNotContain: z.array(z.string().min(1).max(1_000)).max(20).default([]),
    })
    .strict(),
  z
    .object({
      type: z.literal("tool_call"),
      /** The tool the agent must call. */
      name: z.string().min(1).max(200),
      /** Arguments the call must carry (a subset match). */
      args: z.record(z.string(), z.unknown()).default({}),
    })
    .strict(),
  z
    .object({
      type: z.literal("environment"),
      /** A predicate the replay runner knows, e.g. `order-shipped`. */
      predicate: z.string().min(1).max(200),
      params: z.record(z.string(), z.unknown()).default({}),
    })
    .strict(),
  z
    .object({
      type: z.literal("rubric"),
      // A rubric reaches the judge's prompt.
      rubric: z.string().min(1).max(4_000).transform(stripInvisible),
    })
    .strict(),
]);
export type EdgeCaseCheck = z.infer<typeof EdgeCaseCheckSchema>;

/**
 * Where a case's truth came from: what decided that its episode failed or
 * succeeded. A case resting on one user's word (`user_feedback`, `by` that
 * user) can carry a lesson for that user only; the environment, the user's
 * evaluator or several users are evidence for more. A user's word that a
 * deterministic signal of the same episode contradicts carries nothing.
 */
export const CaseTruthSchema = z
  .object({
    source: SignalSourceSchema,
    /** For `user_feedback`: the user whose word it is (the episode's `scope.user`); absent when unknown. */
    by: z.string().min(1).max(SCOPE_NAME_LIMIT).optional(),
    /**
     * For `user_feedback`: a deterministic signal of the episode that said the
     * opposite — a tool error never recovered, or the evaluator's verdict.
     */
    contradictedBy: z.enum(["environment", "evaluator"]).optional(),
  })
  .strict();
export type CaseTruth = z.infer<typeof CaseTruthSchema>;

/** Most tools a case records. */
export const MAX_CASE_TOOLS = 32;

/**
 * A stored historical case that future behaviour must keep right: successful
 * episodes become `regression` cases, fixed failures become `must_pass` cases.
 */
export const EdgeCaseSchema = z
  .object({
    id: IdSchema,
    /** The task, as an episode keeps it: longer than `TASK_INPUT_LIMIT` (20,000) characters, clipped. */
    input: TaskInputSchema.refine((input) => input !== "", "must not be empty"),
    check: EdgeCaseCheckSchema,
    kind: z.enum(["regression", "must_pass"]),
    originEpisode: IdSchema.optional(),
    scope: ScopeSchema,
    tags: z.array(z.string().min(1).max(100)).max(20).default([]),
    /** Where its truth came from. Absent on cases stored before it was recorded: counted as verified. */
    truth: CaseTruthSchema.optional(),
    /**
     * The tools its episode called: a replay puts beside the candidate the
     * lessons anchored to them, as the agent would have been served. Absent
     * when none was called, and on cases stored before tools were recorded.
     */
    tools: z
      .array(ToolNameSchema)
      .min(1)
      .max(MAX_CASE_TOOLS)
      .refine((tools) => new Set(tools).size === tools.length, "must not repeat a tool")
      .optional(),
    createdAt: TimestampSchema,
  })
  .strict();
export type EdgeCase = z.infer<typeof EdgeCaseSchema>;
export type EdgeCaseInput = z.input<typeof EdgeCaseSchema>;
