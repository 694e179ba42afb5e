import { LessonloopError, type Vote } from "@lessonloop/core";
import { parseWith, type ConsensusPolicyName } from "@lessonloop/core/internal";
import { z } from "zod";
import { countsAsBreak } from "./case-evidence.js";

/** Counts of the votes, as the verdict carries them. */
export interface VoteTally {
  approve: number;
  reject: number;
  abstain: number;
}

/** What a policy decided, and why. */
export interface ConsensusOutcome {
  decision: "approved" | "rejected";
  /** One or two sentences naming the rule that decided and the numbers behind it. */
  reason: string;
  tally: VoteTally;
}

/** What the ensemble tells a policy besides the votes. */
export interface ConsensusContext {
  /**
   * The static weight of a validator's vote (its `weight`, default 1). Only the
   * `weighted` policy reads it, multiplied by the validator's track record.
   */
  weightOf?: (validatorId: string) => number;
}

/**
 * A consensus policy is a value: a name, its parameters, and a pure `decide`
 * that turns votes into approved / rejected. The rules every policy shares:
 *
 * 1. **Regressions.** Unless `allowRegressions` is true, a lesson whose votes
 *    show a break — a case that passed without the lesson and failed with it,
 *    in any vote's evidence (abstentions included), unless a re-check did not
 *    see it again — is rejected.
 * 2. **Quorum.** Fewer than `quorum` approve-or-reject votes: rejected, "no quorum".
 * 3. **Abstentions** count toward neither side nor the threshold.
 * 4. **Ties** (as many approvals as rejections — by weight for `weighted`) are
 *    rejected: a change of memory needs a positive majority.
 * 5. Otherwise approved when the approving share of the (weighted)
 *    approve-or-reject votes reaches `threshold`.
 */
export interface ConsensusPolicy {
  readonly name: ConsensusPolicyName;
  /** Approve-or-reject votes needed for any decision; fewer means rejection. */
  readonly quorum: number;
  /** Share of the (weighted) approve-or-reject votes needed to approve, in (0, 1]. */
  readonly threshold: number;
  /** Whether a lesson that breaks a previously passing case may still be approved. */
  readonly allowRegressions: boolean;
  decide(votes: readonly Vote[], context?: ConsensusContext): ConsensusOutcome;
}

/** Parameters every policy takes. */
export interface ConsensusPolicyParams {
  /** Approve-or-reject votes needed for any decision (abstentions do not count). Default 1. */
  quorum?: number;
  /**
   * Let a lesson that breaks previously passing cases be approved when the
   * votes say so (validators then weigh fixes against breaks). Default false:
   * any break rejects the lesson.
   */
  allowRegressions?: boolean;
}

export interface SupermajorityParams extends ConsensusPolicyParams {
  /** Share of the approve-or-reject votes needed, above 1/2 and at most 1. Default 2/3. */
  threshold?: number;
}

export interface WeightedParams extends ConsensusPolicyParams {
  /**
   * Each validator's track record in [0, 1] — e.g. the share of its past votes
   * that later outcomes confirmed. A vote weighs `weight × trackRecord(id)`.
   * Default: 1 for everyone (neutral, the same as `majority` with weights).
   */
  trackRecord?: (validatorId: string) => number;
  /** Share of the approve-or-reject weight needed to approve, 1/2 to 1. Default 1/2. */
  threshold?: number;
}

const QuorumSchema = z.number().int("must be a whole number").min(1, "must be at least 1");
const CommonSchema = z.object({ quorum: QuorumSchema, allowRegressions: z.boolean() });
const SupermajoritySchema = CommonSchema.extend({
  threshold: z.number().gt(0.5, "must be above 1/2 (use majority for a simple majority)").max(1, "must be at most 1"),
});
const WeightedSchema = CommonSchema.extend({
  threshold: z.number().min(0.5, "must be at least 1/2").max(1, "must be at most 1"),
});

/** Floating-point slack when comparing weighted sums. */
const EPSILON = 1e-9;

function tallyOf(votes: readonly Vote[]): VoteTally {
  const tally: VoteTally = { approve: 0, reject: 0, abstain: 0 };
  for (const vote of votes) tally[vote.decision] += 1;
  return tally;
}

function formatShare(value: number): string {
  return `${Math.round(value * 1000) / 10}%`;
}

function formatNumber(value: number): string {
  return String(Math.round(value * 1000) / 1000);
}

/**
 * Cases that passed without the lesson and failed with it, each with the
 * validators that saw it. A break that was re-checked and not seen again is
 * left out: one misread replay does not veto a lesson.
 */
export function findBreaks(votes: readonly Vote[]): Map<string, string[]> {
  const breaks = new Map<string, string[]>();
  for (const vote of votes) {
    for (const evidence of vote.evidence) {
      if (countsAsBreak(evidence)) {
        const seenBy = breaks.get(evidence.caseId) ?? [];
        if (!seenBy.includes(vote.validator)) seenBy.push(vote.validator);
        breaks.set(evidence.caseId, seenBy);
      }
    }
  }
  return breaks;
}

function describeBreaks(breaks: Map<string, string[]>): string {
  return [...breaks].map(([caseId, validators]) => `${caseId} (seen by ${validators.join(", ")})`).join("; ");
}

interface PolicyDefinition {
  name: ConsensusPolicyName;
  quorum: number;
  threshold: number;
  allowRegressions: boolean;
  /** The weight of one vote; 1 for every policy but `weighted`. */
  weigh: (vote: Vote, context: ConsensusContext) => number;
  /** How the threshold rule reads in a reason, e.g. "a simple majority". */
  rule: string;
}

function definePolicy(definition: PolicyDefinition): ConsensusPolicy {
  const { name, quorum, threshold, allowRegressions, weigh, rule } = definition;
  const weighted = name === "weighted";
  return {
    name,
    quorum,
    threshold,
    allowRegressions,
    decide(votes, context = {}) {
      const tally = tallyOf(votes);
      const counts = `${tally.approve} approve, ${tally.reject} reject, ${tally.abstain} abstain`;
      const rejected = (reason: string): ConsensusOutcome => ({ decision: "rejected", reason, tally });

      const breaks = findBreaks(votes);
      if (breaks.size > 0 && !allowRegressions) {
        return rejected(
          `Rejected under ${name}: the lesson breaks ${breaks.size} previously passing case${breaks.size === 1 ? "" : "s"} — ` +
            `${describeBreaks(breaks)}. A lesson that breaks a passing case is never merged unless the policy allows regressions (${counts}).`,
        );
      }

      const decisive = tally.approve + tally.reject;
      if (decisive < quorum) {
        return rejected(
          `Rejected under ${name}: no quorum — ${decisive} approve-or-reject vote${decisive === 1 ? "" : "s"}, ` +
            `${quorum} needed (${counts}).`,
        );
      }

      let approveWeight = 0;
      let rejectWeight = 0;
      for (const vote of votes) {
        if (vote.decision === "abstain") continue;
        const weight = weigh(vote, context);
        if (vote.decision === "approve") approveWeight += weight;
        else rejectWeight += weight;
      }
      const total = approveWeight + rejectWeight;
      const weights = weighted ? ` by weight ${formatNumber(approveWeight)} to ${formatNumber(rejectWeight)}` : "";
      const regressionNote =
        breaks.size > 0 ? ` Regressions were allowed by the policy: ${describeBreaks(breaks)}.` : "";
      if (total <= EPSILON) {
        return rejected(`Rejected under ${name}: the approve-or-reject votes carry no weight (every track record is 0) (${counts}).`);
      }
      if (Math.abs(approveWeight - rejectWeight) <= EPSILON * Math.max(1, total)) {
        return rejected(
          `Rejected under ${name}: a tie${weights} (${counts}); a tie is rejected because a change of memory needs a positive majority.${regressionNote}`,
        );
      }
      const share = approveWeight / total;
      if (share + EPSILON >= threshold) {
        return {
          decision: "approved",
          reason: `Approved under ${name}: ${formatShare(share)} of the approve-or-reject votes${weights} approve, reaching ${rule} (${counts}).${regressionNote}`,
          tally,
        };
      }
      return rejected(
        `Rejected under ${name}: ${formatShare(share)} of the approve-or-reject votes${weights} approve, short of ${rule} (${counts}).${regressionNote}`,
      );
    },
  };
}

/** Approved when more validators approve than reject (threshold 1/2; a tie is rejected). */
export function majority({ quorum = 1, allowRegressions = false }: ConsensusPolicyParams = {}): ConsensusPolicy {
  const params = parseWith(CommonSchema, { quorum, allowRegressions }, "majority policy params");
  return definePolicy({ name: "majority", ...params, threshold: 0.5, weigh: () => 1, rule: "a majority (more than 1/2)" });
}

/** Approved when at least `threshold` (default 2/3) of the approve-or-reject votes approve. */
export function supermajority({ quorum = 1, allowRegressions = false, threshold = 2 / 3 }: SupermajorityParams = {}): ConsensusPolicy {
  const params = parseWith(SupermajoritySchema, { quorum, allowRegressions, threshold }, "supermajority policy params");
  return definePolicy({
    name: "supermajority",
    ...params,
    weigh: () => 1,
    rule: `the supermajority threshold of ${formatShare(params.threshold)}`,
  });
}

/** Approved only when every approve-or-reject vote approves (abstentions do not block it; the quorum does). */
export function unanimous({ quorum = 1, allowRegressions = false }: ConsensusPolicyParams = {}): ConsensusPolicy {
  const params = parseWith(CommonSchema, { quorum, allowRegressions }, "unanimous policy params");
  return definePolicy({ name: "unanimous", ...params, threshold: 1, weigh: () => 1, rule: "unanimity" });
}

/**
 * Each vote weighs the validator's `weight` (default 1) times its track
 * record; approved when the approving share of the weight reaches `threshold`
 * (default 1/2; an exact tie of weight is rejected).
 */
export function weighted({
  quorum = 1,
  allowRegressions = false,
  threshold = 0.5,
  trackRecord = () => 1,
}: WeightedParams = {}): ConsensusPolicy {
  const params = parseWith(WeightedSchema, { quorum, allowRegressions, threshold }, "weighted policy params");
  return definePolicy({
    name: "weighted",
    ...params,
    weigh(vote, { weightOf }) {
      const base = weightOf?.(vote.validator) ?? 1;
      const record = trackRecord(vote.validator);
      for (const [what, value] of [
        ["weight", base],
        ["trackRecord", record],
      ] as const) {
        if (!Number.isFinite(value) || value < 0 || (what === "trackRecord" && value > 1)) {
          throw new LessonloopError(
            "invalid_input",
            `The ${what} of validator "${vote.validator}" is ${String(value)}; it must be a number ${what === "trackRecord" ? "from 0 to 1" : "0 or more"}. Fix the ${what === "trackRecord" ? "trackRecord function passed to weighted()" : "validator's weight"}.`,
            { details: { validator: vote.validator, [what]: value } },
          );
        }
      }
      return base * record;
    },
    rule: params.threshold === 0.5 ? "a weighted majority (more than 1/2)" : `the weighted threshold of ${formatShare(params.threshold)}`,
  });
}
