import { LessonSchema, type Lesson, type Verdict } from "@lessonloop/core";
import { z } from "zod";
import { findBreaks } from "./consensus-policy.js";
import { showsFix } from "./case-evidence.js";

/** The human's answer to a review, passed as `new Command({ resume: … })`. */
export const LessonReviewDecisionSchema = z.discriminatedUnion("decision", [
  z.object({ decision: z.literal("approve"), note: z.string().max(1_000).optional() }).strict(),
  z.object({ decision: z.literal("reject"), note: z.string().max(1_000).optional() }).strict(),
  z
    .object({
      decision: z.literal("edit"),
      /** The fields to change (or a whole lesson); merged over the reviewed lesson and parsed again. */
      lesson: z.record(z.string(), z.unknown()),
      note: z.string().max(1_000).optional(),
    })
    .strict(),
]);
export type LessonReviewDecision = z.infer<typeof LessonReviewDecisionSchema>;

/** Which cases the lesson fixes and breaks, over all votes, each with the validators that saw it. */
export interface ReviewEvidence {
  fixes: { caseId: string; validators: string[] }[];
  breaks: { caseId: string; validators: string[] }[];
  /** Replays that could not run (error, timeout, undecidable check), over all votes. */
  notRun: number;
}

/** The value of the `interrupt()`: what a human needs to decide. */
export interface LessonReviewRequest {
  type: "lessonloop.lesson_review";
  /** The candidate lesson. */
  lesson: Lesson;
  /** The ensemble's verdict, with every vote and its per-case evidence. */
  verdict: Verdict;
  /** The evidence summed up. */
  evidence: ReviewEvidence;
  /** How to answer. */
  resumeWith: string;
  /** Set when the previous answer could not be used: what was wrong with it. */
  problem?: string;
}

/** The human's decision as recorded in the state. */
export interface LessonReview {
  decision: LessonReviewDecision["decision"];
  note?: string;
  /** For an edit: the lesson as it was before the edit. */
  original?: Lesson;
}

export const RESUME_HELP =
  'Resume with new Command({ resume: { decision: "approve" } }), { decision: "reject" }, or ' +
  '{ decision: "edit", lesson: { …fields to change } } (an edited lesson is validated again).';

export function summarizeEvidence(verdict: Verdict): ReviewEvidence {
  const fixes = new Map<string, string[]>();
  let notRun = 0;
  for (const vote of verdict.votes) {
    for (const evidence of vote.evidence) {
      if (evidence.passedWithout === null && evidence.withoutSkipped !== true) notRun += 1;
      if (evidence.passedWith === null) notRun += 1;
      if (showsFix(evidence)) {
        fixes.set(evidence.caseId, [...(fixes.get(evidence.caseId) ?? []), vote.validator]);
      }
    }
  }
  const toList = (map: Map<string, string[]>) => [...map].map(([caseId, validators]) => ({ caseId, validators }));
  return { fixes: toList(fixes), breaks: toList(findBreaks(verdict.votes)), notRun };
}

/** The edited lesson: the edit merged over the original, parsed; or what is wrong with it. */
export function applyEdit(original: Lesson, edit: Record<string, unknown>): { lesson: Lesson } | { problem: string } {
  const result = LessonSchema.safeParse({ ...original, ...edit });
  if (result.success) return { lesson: result.data };
  const issues = result.error.issues
    .map((issue) => `${issue.path.length === 0 ? "(root)" : issue.path.map(String).join(".")}: ${issue.message}`)
    .join("; ");
  return { problem: `The edited lesson is invalid — ${issues}. ${RESUME_HELP}` };
}
