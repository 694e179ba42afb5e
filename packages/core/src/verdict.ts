import { z } from "zod";
import { IdSchema, TimestampSchema } from "./ids.js";
import { ModelUsageSchema } from "./model-usage.js";

/** What one replayed edge case showed: did it pass without the lesson, and with it? */
export const CaseEvidenceSchema = z
  .object({
    caseId: IdSchema,
    /** `null` when the replay could not be run (error, timeout), or was not needed (`withoutSkipped`). */
    passedWithout: z.boolean().nullable(),
    passedWith: z.boolean().nullable(),
    /**
     * The replay without the lesson was not run because it could not change
     * the vote: the case passed with the lesson, so it cannot be a break, and
     * whether it failed without would count for nothing (it is not a must_pass
     * case, regressions are not weighed against fixes, and its truth could not
     * corroborate another's). `passedWithout` is `null`; the case counts as
     * replayed.
     */
    withoutSkipped: z.literal(true).optional(),
    note: z.string().max(2_000).optional(),
    /**
     * When this case showed a break (passed without the lesson, failed with
     * it), the re-check of that break before it could veto the lesson: by whom,
     * and whether it showed the break again (`null`: the re-check could not
     * run, and the break stands). A break re-checked and not seen again does
     * not count as a break.
     */
    confirmation: z
      .object({
        by: z.string().min(1).max(200),
        confirmed: z.boolean().nullable(),
        note: z.string().max(2_000).optional(),
      })
      .strict()
      .optional(),
  })
  .strict();
export type CaseEvidence = z.infer<typeof CaseEvidenceSchema>;

/** One validator's independent decision on one lesson. */
export const VoteSchema = z
  .object({
    validator: z.string().min(1).max(200),
    lessonId: IdSchema,
    decision: z.enum(["approve", "reject", "abstain"]),
    reason: z.string().max(4_000),
    evidence: z.array(CaseEvidenceSchema).max(500).default([]),
    model: z.string().max(200).optional(),
    /**
     * Set when the validator's remaining replays were cancelled because the
     * verdict was already decided: why. Its evidence then holds only the cases
     * it replayed.
     */
    stoppedEarly: z.string().max(1_000).optional(),
    castAt: TimestampSchema,
  })
  .strict();
export type Vote = z.infer<typeof VoteSchema>;

export const ConsensusPolicyNameSchema = z.enum(["majority", "supermajority", "unanimous", "weighted"]);
export type ConsensusPolicyName = z.infer<typeof ConsensusPolicyNameSchema>;

/** The ensemble's decision under a named policy, with every vote as its evidence. */
export const VerdictSchema = z
  .object({
    lessonId: IdSchema,
    decision: z.enum(["approved", "rejected"]),
    policy: z
      .object({
        name: ConsensusPolicyNameSchema,
        /** Votes (approve or reject) needed for any decision; fewer means rejection. */
        quorum: z.number().int().min(1),
        /** Share of weighted non-abstaining votes needed to approve. */
        threshold: z.number().gt(0).max(1),
      })
      .strict(),
    tally: z
      .object({
        approve: z.number().int().min(0),
        reject: z.number().int().min(0),
        abstain: z.number().int().min(0),
      })
      .strict(),
    votes: z.array(VoteSchema),
    reason: z.string().max(4_000),
    /** What validating the lesson cost: the replays' model calls and tokens, as the runner reported them. */
    usage: ModelUsageSchema.optional(),
    /**
     * Set when the validation budget ran out before the verdict was decided:
     * the lesson is then rejected as undecided (or parked for a human, if the
     * loop is set to), and this says what was spent.
     */
    undecided: z.string().max(1_000).optional(),
    /**
     * Side effects the lesson steers (recipients, addresses, payments, checks
     * turned off, anything outside the tenant …) and the replayed stored cases
     * that exercise each.
     */
    risks: z
      .array(
        z
          .object({
            rule: z.string().min(1).max(100),
            text: z.string().max(200),
            coveredBy: z.array(IdSchema).max(200),
            /** Whether enough of them exercise it for the votes alone to merge the lesson. */
            covered: z.boolean().optional(),
          })
          .strict(),
      )
      .max(20)
      .optional(),
    /**
     * Set when the votes approved a lesson that steers a side effect too few
     * replayed cases exercise: the lesson is then rejected (or parked for a
     * human, if the loop has an approval store), and this says which.
     */
    uncoveredRisk: z.string().max(1_000).optional(),
    decidedAt: TimestampSchema,
  })
  .strict();
export type Verdict = z.infer<typeof VerdictSchema>;
