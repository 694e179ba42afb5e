import { z } from "zod";
import { TaskInputSchema, type TrajectoryStep } from "./episode.js";
import { IdSchema, TimestampSchema, VersionSchema } from "./ids.js";
import { markUntrusted } from "./llm/trajectory-text.js";
import { ScopeSchema } from "./scope.js";
import { clip } from "./text/clip.js";
import { stripInvisible } from "./text/invisible.js";

/** Longest line of a condensed step, in characters (the untrusted-data wrapper included). */
export const EXAMPLE_STEP_LIMIT = 400;
/** Most lines a stored example keeps. */
export const MAX_EXAMPLE_STEPS = 24;
/** Most episode ids an example keeps: the first and the latest ones it stands for. */
export const MAX_EXAMPLE_EPISODES = 20;

/**
 * Why an example stopped being served: a run failed on a similar task after
 * it (`similar_failure`), memory was rolled back past the version it was
 * recorded at (`rollback`), or a merged lesson says to do otherwise
 * (`contradicting_lesson`).
 */
export const ExampleStaleReasonSchema = z.enum(["similar_failure", "rollback", "contradicting_lesson"]);
export type ExampleStaleReason = z.infer<typeof ExampleStaleReasonSchema>;

/**
 * A successful past run kept to be shown to the agent on similar tasks
 * (experience replay): the task and the run condensed to one short line a
 * step. An example is scoped like the run it comes from, so it reaches only
 * runs its scope applies to. Stale examples stay stored for audit and are
 * not served from the version they went stale at on.
 */
export const ExampleSchema = z
  .object({
    id: IdSchema,
    scope: ScopeSchema,
    /** The task, as an episode keeps it. */
    input: TaskInputSchema.refine((input) => input.trim() !== "", "must not be empty"),
    /** The run, one line a step ({@link condenseTrajectory}); tool output is wrapped as untrusted data. */
    steps: z
      .array(z.string().max(EXAMPLE_STEP_LIMIT, `must be at most ${EXAMPLE_STEP_LIMIT} characters`).transform(stripInvisible))
      .min(1, "must hold at least one step")
      .max(MAX_EXAMPLE_STEPS),
    /** The episodes it stands for: the first, then the latest ones that strengthened it. */
    episodes: z.array(IdSchema).min(1).max(MAX_EXAMPLE_EPISODES),
    /** How many near-identical successful runs it stands for. */
    strength: z.number().int().min(1),
    /** The memory version its first run ran against: it is served at that version and later. */
    recordedAt: VersionSchema,
    createdAt: TimestampSchema,
    /** When a near-identical successful run last strengthened it; `createdAt` until one does. */
    reinforcedAt: TimestampSchema,
    /** The memory version from which it is stale (not served); absent while it is not. */
    staleSince: VersionSchema.optional(),
    staleReason: ExampleStaleReasonSchema.optional(),
    /** What made it stale: the failed episode's id, the lesson's id, or the rollback's version. */
    staleBy: z.string().min(1).max(200).optional(),
  })
  .strict()
  .refine((example) => (example.staleSince === undefined) === (example.staleReason === undefined), {
    message: "staleSince and staleReason go together",
    path: ["staleReason"],
  });
export type Example = z.infer<typeof ExampleSchema>;
export type ExampleInput = z.input<typeof ExampleSchema>;

/** Whether `example` is served to a run at memory version `version`: recorded at or before it, and not stale as of it. */
export function exampleValidAt(example: Pick<Example, "recordedAt" | "staleSince">, version: number): boolean {
  return example.recordedAt <= version && (example.staleSince === undefined || example.staleSince > version);
}

/** Options of {@link condenseTrajectory}. */
export interface CondenseTrajectoryOptions {
  /** At most this many lines; the middle of a longer run is left out (and said so). Default 12. */
  maxSteps?: number;
  /** Each line is cut to this many characters (the untrusted-data wrapper aside). Default 160. */
  maxStepChars?: number;
}

const flat = (text: string, max: number) => clip(stripInvisible(text).replace(/\s+/g, " ").trim(), max);

/** `prefix` and the text wrapped as untrusted data, the two clipped to `chars` (the wrapper aside), within {@link EXAMPLE_STEP_LIMIT} (defusing tags lengthens it). */
function untrustedLine(prefix: string, text: string, lineChars: number): string {
  const chars = Math.max(10, lineChars - prefix.length);
  let line = `${prefix}${markUntrusted(flat(text, chars))}`;
  // Clipping the finished line could cut off the closing tag: clip the text more instead.
  for (let max = chars; line.length > EXAMPLE_STEP_LIMIT && max > 1; max = Math.floor(max / 2)) line = `${prefix}${markUntrusted(flat(text, max))}`;
  return line;
}

/**
 * One short line a step of a run: `call lookup({"id":7})`,
 * `lookup → <tool_output untrusted="true">{"status":"shipped"}</tool_output>`,
 * `assistant: It shipped on Monday.` Tool output is clipped and then marked
 * as untrusted data ({@link markUntrusted}), so it cannot pose as guidance in
 * a prompt; user and system messages are left out (the task is shown apart).
 */
export function condenseTrajectory(trajectory: readonly TrajectoryStep[], { maxSteps = 12, maxStepChars = 160 }: CondenseTrajectoryOptions = {}): string[] {
  const steps = Math.max(3, Math.min(maxSteps, MAX_EXAMPLE_STEPS));
  const chars = Math.max(20, Math.min(maxStepChars, EXAMPLE_STEP_LIMIT - 100));
  const lines: string[] = [];
  for (const step of trajectory) {
    switch (step.type) {
      case "message":
        if (step.role === "assistant" && step.content.trim() !== "") lines.push(flat(`assistant: ${step.content}`, chars));
        if (step.role === "tool") lines.push(untrustedLine("tool: ", step.content, chars));
        break;
      case "tool_call":
        lines.push(flat(`call ${step.name}(${JSON.stringify(step.args)})`, chars));
        break;
      case "tool_result":
        lines.push(untrustedLine(`${flat(step.name, 40)} ${step.isError ? "failed:" : "→"} `, step.content, chars));
        break;
    }
  }
  if (lines.length <= steps) return lines;
  const head = steps - 2;
  return [...lines.slice(0, head), `… ${lines.length - head - 1} steps left out`, lines.at(-1) as string];
}
