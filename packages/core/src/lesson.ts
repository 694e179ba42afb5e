import { z } from "zod";
import { IdSchema, TimestampSchema } from "./ids.js";
import { ScopeSchema } from "./scope.js";

export const LessonKindSchema = z.enum(["recovery", "strategy", "preference", "constraint"]);
export type LessonKind = z.infer<typeof LessonKindSchema>;

/** `proposed → validating → approved | rejected`, and later `retired`. */
export const LessonStatusSchema = z.enum(["proposed", "validating", "approved", "rejected", "retired"]);
export type LessonStatus = z.infer<typeof LessonStatusSchema>;

export const ProvenanceSchema = z
  .object({
    /** The agent (or crew member) that proposed the lesson. */
    agent: z.string().min(1).max(200),
    /** The model that wrote it, e.g. `gpt-4o-mini` or `scripted`. */
    model: z.string().min(1).max(200),
    proposedAt: TimestampSchema,
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
} as const;

/**
 * A proposed change of behaviour. Lessons are data: nothing in one is ever
 * executed or used as a tool name.
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
