import { z } from "zod";
import { IdSchema, TimestampSchema, VersionSchema } from "./ids.js";
import { ScopeSchema } from "./scope.js";

const MAX_TEXT = 100_000;

/** One step of an agent's run: a message, a tool call, or a tool's result. */
export const TrajectoryStepSchema = z.discriminatedUnion("type", [
  z
    .object({
      type: z.literal("message"),
      role: z.enum(["system", "user", "assistant", "tool"]),
      content: z.string().max(MAX_TEXT),
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
      content: z.string().max(MAX_TEXT),
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
    input: z.string().max(MAX_TEXT),
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
