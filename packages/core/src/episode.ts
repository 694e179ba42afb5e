import { z } from "zod";
import { IdSchema, TimestampSchema, VersionSchema } from "./ids.js";
import { ScopeSchema } from "./scope.js";
import { clip } from "./text/clip.js";
import { stripInvisible } from "./text/invisible.js";

const MAX_TEXT = 100_000;

/**
 * The longest task input an episode or an edge case keeps, in characters. One
 * limit for both, so every episode's task can become an edge case: a longer
 * task is clipped (the cut marked "…") by {@link clipTaskInput}, never refused.
 */
export const TASK_INPUT_LIMIT = 20_000;

/**
 * A task input as episodes and edge cases keep it: without invisible
 * characters (`stripInvisible`: a task reaches the critic's, the learner's and
 * the validators' prompts) and clipped to {@link TASK_INPUT_LIMIT}. The one
 * path every task input takes, through the schemas.
 */
export function clipTaskInput(text: string): string {
  return clip(stripInvisible(text), TASK_INPUT_LIMIT);
}

/** Text of a run as the schemas keep it: bounded, without invisible characters. */
const runText = (max: number) => z.string().max(max).transform(stripInvisible);
/** A task input of any length, kept as {@link clipTaskInput} makes it. */
export const TaskInputSchema = z.string().transform(clipTaskInput);

/** One step of an agent's run: a message, a tool call, or a tool's result. */
export const TrajectoryStepSchema = z.discriminatedUnion("type", [
  z
    .object({
      type: z.literal("message"),
      role: z.enum(["system", "user", "assistant", "tool"]),
      content: runText(MAX_TEXT),
    })
    .strict(),
  z
    .object({
      type: z.literal("tool_call"),
      id: z.string().min(1).max(200),
      name: z.string().min(1).max(200),
      args: z.record(z.string(), z.unknown()),
    })
    .strict(),
  z
    .object({
      type: z.literal("tool_result"),
      callId: z.string().min(1).max(200),
      name: z.string().min(1).max(200),
      content: runText(MAX_TEXT),
      isError: z.boolean(),
    })
    .strict(),
]);
export type TrajectoryStep = z.infer<typeof TrajectoryStepSchema>;

/** Who or what decided an episode's outcome. Deterministic sources rank before the critic. */
export const SignalSourceSchema = z.enum(["environment", "user_feedback", "evaluator", "critic", "none"]);
export type SignalSource = z.infer<typeof SignalSourceSchema>;

export const OutcomeSchema = z
  .object({
    status: z.enum(["success", "failure", "unknown"]),
    signal: z
      .object({
        source: SignalSourceSchema,
        /** The text that decided it: the error, the feedback, the evaluator's reason. */
        detail: z.string().max(10_000),
      })
      .strict(),
  })
  .strict();
export type Outcome = z.infer<typeof OutcomeSchema>;

/** One run of an agent on one task. */
export const EpisodeSchema = z
  .object({
    id: IdSchema,
    /** The task; longer than {@link TASK_INPUT_LIMIT} characters, it is clipped. */
    input: TaskInputSchema,
    trajectory: z.array(TrajectoryStepSchema).max(1_000),
    outcome: OutcomeSchema,
    scope: ScopeSchema,
    /** The memory snapshot version the agent ran against. */
    memoryVersion: VersionSchema,
    /** The lessons the replay-retriever put in the agent's context, for credit assignment. */
    servedLessons: z.array(IdSchema).max(100).default([]),
    startedAt: TimestampSchema,
    endedAt: TimestampSchema.optional(),
  })
  .strict();
export type Episode = z.infer<typeof EpisodeSchema>;
export type EpisodeInput = z.input<typeof EpisodeSchema>;
