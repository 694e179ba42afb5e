import { z } from "zod";
import { IdSchema, TimestampSchema } from "./ids.js";
import { ScopeSchema } from "./scope.js";
import { stripInvisible } from "./text/invisible.js";
import { ConsensusPolicyNameSchema } from "./verdict.js";

export const LessonKindSchema = z.enum(["recovery", "strategy", "preference", "constraint"]);
export type LessonKind = z.infer<typeof LessonKindSchema>;

/** `proposed → validating → approved | rejected`, and later `retired`. */
export const LessonStatusSchema = z.enum(["proposed", "validating", "approved", "rejected", "retired"]);
export type LessonStatus = z.infer<typeof LessonStatusSchema>;

/** Most votes a merged lesson's provenance keeps (one per validator). */
const MAX_PROVENANCE_VOTES = 100;

/**
 * How a merged lesson was decided, copied from the ensemble's verdict when it
 * is merged, so the lesson record itself says who voted what.
 */
export const MergeDecisionSchema = z
  .object({
    policy: ConsensusPolicyNameSchema,
    tally: z.object({ approve: z.number().int().min(0), reject: z.number().int().min(0), abstain: z.number().int().min(0) }).strict(),
    votes: z
      .array(
        z
          .object({
            validator: z.string().min(1).max(200),
            decision: z.enum(["approve", "reject", "abstain"]),
            model: z.string().max(200).optional(),
          })
          .strict(),
      )
      .max(MAX_PROVENANCE_VOTES),
    decidedAt: TimestampSchema,
    /** The human who approved it after the ensemble, when one had to. */
    approvedBy: z.string().min(1).max(200).optional(),
  })
  .strict();
export type MergeDecision = z.infer<typeof MergeDecisionSchema>;

export const ProvenanceSchema = z
  .object({
    /** The agent (or crew member) that proposed the lesson. */
    agent: z.string().min(1).max(200),
    /** The model that wrote it, e.g. `gpt-4o-mini` or `scripted`. */
    model: z.string().min(1).max(200),
    proposedAt: TimestampSchema,
    /** The rejected lesson this one narrows, when it is a repair. */
    repairOf: IdSchema.optional(),
    /** The votes that merged it; set by the merge, absent on a proposal. */
    merge: MergeDecisionSchema.optional(),
  })
  .strict();
export type Provenance = z.infer<typeof ProvenanceSchema>;

/** Size bounds keep one lesson from crowding out the rest of an agent's context. */
export const LESSON_LIMITS = {
  trigger: 1_000,
  guidance: 2_000,
  rationale: 2_000,
  evidence: 50,
  supersedes: 20,
  tags: 20,
  /** Tools one lesson may be anchored to. */
  tools: 8,
} as const;

/**
 * A tool's name as agents and providers name tools (OpenAI allows
 * `[A-Za-z0-9_-]{1,64}`, others `.`, `:` and `/` as well, up to 128).
 */
export const ToolNameSchema = z
  .string()
  .regex(/^[A-Za-z0-9_.:/-]{1,128}$/, "must be a tool name: 1-128 letters, digits or _ . : / -");

/** Whether a lesson is anchored to one of `tools` (the tools an agent may call in a step). */
export function lessonAnchoredTo(lesson: Pick<Lesson, "tools">, tools: ReadonlySet<string>): boolean {
  return lesson.tools?.some((tool) => tools.has(tool)) ?? false;
}

/**
 * A proposed change of behaviour. Lessons are data: nothing in one is ever
 * executed or called; its `tools` are only compared with the names of the
 * tools an agent has.
 */
export const LessonSchema = z
  .object({
    id: IdSchema,
    /** When the lesson applies, in words a retriever can match against a task. */
    trigger: z.string().trim().min(1, "must not be empty").max(LESSON_LIMITS.trigger),
    /** What the agent should do when it applies. */
    guidance: z.string().trim().min(1, "must not be empty").max(LESSON_LIMITS.guidance),
    /** Why: the failure or success it was learned from. */
    rationale: z.string().max(LESSON_LIMITS.rationale).default(""),
    kind: LessonKindSchema,
    scope: ScopeSchema,
    /** Ids of the episodes it was learned from. */
    evidence: z.array(IdSchema).max(LESSON_LIMITS.evidence).default([]),
    provenance: ProvenanceSchema,
    status: LessonStatusSchema.default("proposed"),
    /** Lessons this one replaces; merging it retires them. */
    supersedes: z.array(IdSchema).max(LESSON_LIMITS.supersedes).default([]),
    tags: z.array(z.string().min(1).max(100)).max(LESSON_LIMITS.tags).default([]),
    /**
     * The tools the lesson is about (the one whose call failed, or whose use it
     * changes): whenever one of them is available to the agent, the lesson is a
     * candidate whatever the task's words. Absent on lessons about no tool, and
     * on lessons written before tools were recorded.
     */
    tools: z
      .array(ToolNameSchema)
      .min(1)
      .max(LESSON_LIMITS.tools)
      .refine((tools) => new Set(tools).size === tools.length, "must not repeat a tool")
      .optional(),
    createdAt: TimestampSchema,
  })
  .strict();
export type Lesson = z.infer<typeof LessonSchema>;
/** What callers may hand in: defaults (status, evidence, …) filled by parsing. */
export type LessonInput = z.input<typeof LessonSchema>;

/** The text a lesson is embedded and matched by. */
export function lessonSearchText(lesson: Pick<Lesson, "trigger" | "guidance">): string {
  return `${lesson.trigger}\n${lesson.guidance}`;
}

const LINE_BREAKS = /\s*[\r\n\u2028\u2029]+\s*/g;

/**
 * A lesson's text as it may appear inside a prompt: on one line (it cannot
 * start a new entry or a heading of its own), without invisible characters
 * (control and format characters — bidi overrides, zero-width, Unicode tags —
 * and the rest `stripInvisible` removes: a model would read what no reviewer
 * sees), and with `<` `>` replaced by `‹` `›` so it cannot close or open the
 * markup around it. Lessons are data: every prompt
 * that shows one shows it through this.
 */
export function promptSafeLessonText(text: string): string {
  return stripInvisible(text).replace(LINE_BREAKS, " ").replaceAll("<", "‹").replaceAll(">", "›").trim();
}
