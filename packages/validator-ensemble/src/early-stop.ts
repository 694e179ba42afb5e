import type { EdgeCase, Vote } from "@lessonloop/core";
import type { CaseEvidence } from "@lessonloop/core/internal";
import { countsAsBreak, showsBreak, showsFix, wasReplayed } from "./case-evidence.js";
import type { ConsensusContext, ConsensusPolicy } from "./consensus-policy.js";
import type { VoteRules } from "./validator.js";

type Decision = Vote["decision"];

/** A validator still replaying: the cases it was given and what the finished ones showed. */
export interface PendingValidator {
  validator: string;
  cases: readonly EdgeCase[];
  /** Evidence of the cases replayed both ways so far (a case still running is not in it). */
  evidence: readonly CaseEvidence[];
}

/** Combinations of pending votes past which the ensemble stops looking for an early decision (it just runs on). */
const MAX_COMPLETIONS = 4_096;

/**
 * The votes a validator still replaying could end up casting, by the rules
 * of `decideVote`: a break it saw (regressions not allowed) makes it reject
 * whatever comes; once every must_pass case it was given is replayed and none
 * is fixed — or, with regressions allowed, once the cases left cannot make its
 * fixes outnumber its breaks — it can no longer approve.
 */
export function possibleVotes({ cases, evidence }: PendingValidator, rules: Pick<VoteRules, "allowRegressions">): Decision[] {
  const done = new Map(evidence.map((entry) => [entry.caseId, entry]));
  const ran = evidence.filter(wasReplayed);
  const breaks = ran.filter(countsAsBreak).length;
  if (breaks > 0 && !rules.allowRegressions) return ["reject"];
  const mustPassLeft = cases.some((edgeCase) => edgeCase.kind === "must_pass" && !done.has(edgeCase.id));
  const mustPassFixed = cases.some((edgeCase) => {
    const entry = done.get(edgeCase.id);
    return edgeCase.kind === "must_pass" && entry !== undefined && showsFix(entry);
  });
  const left = cases.length - done.size;
  const canOutnumber = ran.filter(showsFix).length + left > breaks;
  const canApprove = (mustPassFixed || mustPassLeft) && (!rules.allowRegressions || breaks === 0 || canOutnumber);
  return canApprove ? ["approve", "reject", "abstain"] : ["reject", "abstain"];
}

/** Whether the verdict is decided while some validators are still replaying, and why. */
export type EarlyDecision = { decided: false } | { decided: true; reason: string };

/**
 * Whether any way the pending validators could still vote would change the
 * policy's decision. Approval is never decided early: a pending replay may
 * still show a break. Rejection is, when no completion of the remaining work
 * — every vote each pending validator could still cast, with the evidence it
 * has so far — gets the lesson approved. The policy itself is asked for each
 * completion, so weighted policies, quorums and allowed regressions decide
 * exactly as they would at the end.
 */
export function decidedEarly({
  policy,
  finished,
  pending,
  lessonId,
  context,
}: {
  policy: ConsensusPolicy;
  finished: readonly Vote[];
  pending: readonly PendingValidator[];
  lessonId: string;
  context?: ConsensusContext;
}): EarlyDecision {
  if (pending.length === 0) return { decided: false };
  const rules = { allowRegressions: policy.allowRegressions };
  const options = pending.map((validator) => possibleVotes(validator, rules));
  const completions = options.reduce((count, choices) => count * choices.length, 1);
  if (completions > MAX_COMPLETIONS) return { decided: false };

  const castAt = new Date(0).toISOString();
  const choice = new Array<Decision>(pending.length);
  const anyApproves = (index: number): boolean => {
    if (index === pending.length) {
      const hypothetical: Vote[] = pending.map((validator, at) => ({
        validator: validator.validator,
        lessonId,
        decision: choice[at] as Decision,
        reason: "",
        evidence: [...validator.evidence],
        castAt,
      }));
      return policy.decide([...finished, ...hypothetical], context).decision === "approved";
    }
    for (const decision of options[index] as Decision[]) {
      choice[index] = decision;
      if (anyApproves(index + 1)) return true;
    }
    return false;
  };
  if (anyApproves(0)) return { decided: false };

  const sawBreak = !policy.allowRegressions && [...finished.flatMap((vote) => vote.evidence), ...pending.flatMap((validator) => validator.evidence)].some(countsAsBreak);
  const cannot = pending.filter((_validator, index) => !(options[index] as Decision[]).includes("approve")).length;
  return {
    decided: true,
    reason: sawBreak
      ? `a confirmed break already rejects the lesson under ${policy.name}`
      : `no way the ${pending.length} validator${pending.length === 1 ? "" : "s"} still replaying could vote gets the lesson approved under ${policy.name} (${finished.length} vote${finished.length === 1 ? "" : "s"} cast, ${cannot} of the pending can no longer approve)`,
  };
}

/** Whether the validators not started yet are needed, and why (see {@link anotherValidatorNeeded}). */
export type StageDecision = { needed: false; reason: string } | { needed: true; reason: string };

/** A break one run saw and the re-check did not see again: the evidence disagrees. */
function disputedBreaks(votes: readonly Vote[]): string[] {
  const disputed = votes.flatMap((vote) =>
    vote.evidence.filter((entry) => showsBreak(entry) && entry.confirmation?.confirmed === false).map((entry) => `${entry.caseId} (seen by ${vote.validator}, not by ${entry.confirmation?.by ?? "the re-check"})`),
  );
  return [...new Set(disputed)];
}

/**
 * With validators started as needed: whether the votes cast so far decide
 * the verdict, or the next validator must run. Asked once every validator
 * started has voted. The verdict is **decided** when the evidence agrees (no
 * break that one run saw and its re-check did not) and no way the validators
 * not started could vote — approve, reject or abstain, on no evidence of their
 * own — changes the policy's decision on the votes cast. A validator that never
 * runs is counted as voting, never as seeing a break: it cannot veto. Split
 * votes, abstentions short of the quorum, weights an unstarted vote could tip,
 * and disputed breaks all leave it undecided.
 */
export function anotherValidatorNeeded({
  policy,
  votes,
  unstarted,
  lessonId,
  context,
}: {
  policy: ConsensusPolicy;
  votes: readonly Vote[];
  /** The eligible validators not started yet, in the order they would start. */
  unstarted: readonly string[];
  lessonId: string;
  context?: ConsensusContext;
}): StageDecision {
  const tally = { approve: 0, reject: 0, abstain: 0 };
  for (const vote of votes) tally[vote.decision] += 1;
  const counts = `${tally.approve} approve, ${tally.reject} reject, ${tally.abstain} abstain`;
  if (unstarted.length === 0) return { needed: false, reason: `every validator voted (${counts})` };
  const disputed = disputedBreaks(votes);
  if (disputed.length > 0) return { needed: true, reason: `a break was disputed by its re-check: ${disputed.join("; ")}` };

  const decision = policy.decide(votes, context).decision;
  const completions = 3 ** unstarted.length;
  if (completions > MAX_COMPLETIONS) return { needed: true, reason: `${unstarted.length} validators not started are too many to rule out (${counts})` };
  const castAt = new Date(0).toISOString();
  const choices: Decision[] = ["approve", "reject", "abstain"];
  const choice = new Array<Decision>(unstarted.length);
  const anyChanges = (index: number): boolean => {
    if (index === unstarted.length) {
      const hypothetical = unstarted.map((validator, at): Vote => ({ validator, lessonId, decision: choice[at] as Decision, reason: "", evidence: [], castAt }));
      return policy.decide([...votes, ...hypothetical], context).decision !== decision;
    }
    for (const option of choices) {
      choice[index] = option;
      if (anyChanges(index + 1)) return true;
    }
    return false;
  };
  if (anyChanges(0)) {
    const decisive = tally.approve + tally.reject;
    const why = decisive < policy.quorum ? `no quorum yet (${decisive} approve-or-reject of ${policy.quorum} needed)` : `the votes so far could still be outvoted`;
    return { needed: true, reason: `${why} under ${policy.name} (${counts})` };
  }
  return {
    needed: false,
    reason: `the votes cast (${counts}) decide the verdict under ${policy.name} whatever the ${unstarted.length === 1 ? "validator" : `${unstarted.length} validators`} not started would vote; one that does not run cannot veto with a break`,
  };
}
