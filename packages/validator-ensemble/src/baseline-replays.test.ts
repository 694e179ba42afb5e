import type { EdgeCaseInput, Verdict } from "@lessonloop/core";
import { VerdictSchema } from "@lessonloop/core/internal";
import { createManualClock, createSeededRandom, type SeededRandom } from "@lessonloop/core/testing";
import { describe, expect, it } from "vitest";
import { majority, supermajority, unanimous, weighted, type ConsensusPolicy } from "./consensus-policy.js";
import { DAMAGED_PARCEL, REFUND_DAMAGED, SHOP_CASES, answerCheck, edgeCase, lesson, openCaseStore, tableRunner } from "./tests/fixtures.js";
import { createValidatorEnsemble, type ValidatorEnsembleParams } from "./validator-ensemble.js";

const clock = createManualClock("2026-03-01T12:00:00.000Z");
const PEERS = [{ id: "peer-a" }, { id: "peer-b" }, { id: "peer-c" }];

async function validate(params: Omit<ValidatorEnsembleParams, "edgeCaseStore" | "clock">, cases: readonly EdgeCaseInput[], motivating: EdgeCaseInput, lessonInput = REFUND_DAMAGED): Promise<Verdict> {
  const edgeCaseStore = await openCaseStore(cases);
  const { verdict } = await createValidatorEnsemble({ edgeCaseStore, clock, casesPerValidator: 10, ...params }).invoke({ lesson: lessonInput, motivatingCases: [motivating] });
  return VerdictSchema.parse(verdict);
}

/** A draw in [0, 1) fixed by its key, so a replay shows the same whatever order (or whether) other replays run. */
function keyedDraw(key: string): number {
  let hash = 2166136261;
  for (let index = 0; index < key.length; index++) hash = Math.imul(hash ^ key.charCodeAt(index), 16777619);
  return createSeededRandom(hash >>> 0).next();
}

const TRUTHS: (EdgeCaseInput["truth"] | undefined)[] = [
  undefined,
  { source: "environment" },
  { source: "user_feedback", by: "u1" },
  { source: "user_feedback", by: "u2" },
  { source: "user_feedback", by: "u3" },
];

/**
 * A random validation: stored cases with random truths, a motivating case, and
 * what every replay shows, fixed per (trial, validator, case, with/without,
 * attempt); with `failures`, one replay in twenty gives no result.
 */
function randomValidation(trial: number, random: SeededRandom, failures = true) {
  const withTruth = (input: EdgeCaseInput): EdgeCaseInput => {
    const truth = random.pick(TRUTHS);
    return truth === undefined ? input : { ...input, truth };
  };
  // Stored cases: regressions, and earlier failures of the same kind (must_pass).
  const cases = Array.from({ length: random.int(0, 6) }, (_, index) => {
    const kind = random.chance(0.3) ? "must_pass" : "regression";
    return withTruth(edgeCase(`${kind === "must_pass" ? "must-stored" : "reg"}-${index}`, `A customer asks about the parcel of order ${index}, which arrived damaged`, answerCheck(["ok"]), kind));
  });
  const motivating = withTruth(DAMAGED_PARCEL);
  const scoped = random.chance(0.3) ? lesson("refund-damaged", { ...REFUND_DAMAGED, scope: { tenant: "shop", user: "u1" } }) : REFUND_DAMAGED;
  const helpful = random.chance(0.6);
  const { runner, requests } = tableRunner((caseId, candidate, request) => {
    const draw = keyedDraw(`${trial}|${request.validator.id}|${caseId}|${candidate === undefined ? "without" : "with"}|${request.attempt ?? 1}`);
    if (failures && draw < 0.05) return { passed: null };
    const must = caseId.startsWith("must");
    if (candidate === undefined) return { passed: must ? draw > 0.85 : draw > 0.1 };
    return { passed: draw > (helpful ? 0.1 : 0.4) };
  });
  return { cases, motivating, lesson: scoped, runner, requests };
}

const POLICIES: [string, () => ConsensusPolicy][] = [
  ["majority", () => majority({ quorum: 2 })],
  ["supermajority", () => supermajority({ quorum: 2 })],
  ["unanimous", () => unanimous({ quorum: 3 })],
  ["weighted", () => weighted({ quorum: 2, trackRecord: (id) => (id === "peer-a" ? 0.9 : 0.6) })],
  ["majority, regressions allowed", () => majority({ quorum: 2, allowRegressions: true })],
];

describe('replays without the lesson only where they can change the vote (baselineReplays: "as-needed")', () => {
  it("casts the votes of replaying every case both ways, over random replays, policies, truths and scopes, in fewer replays", async () => {
    let saved = 0;
    let all = 0;
    let moreRan = 0;
    const decisions = new Set<string>();
    for (let trial = 0; trial < 80; trial++) {
      const [name, policy] = POLICIES[trial % POLICIES.length] as [string, () => ConsensusPolicy];
      const failures = trial % 2 === 0;
      // Every case to the end, breaks as seen: the votes themselves must match, not only the verdict.
      const full = { validators: PEERS, policy: policy(), earlyStop: false, confirmBreaks: "off" as const };
      const always = randomValidation(trial, createSeededRandom(trial + 1), failures);
      const asNeeded = randomValidation(trial, createSeededRandom(trial + 1), failures);
      const reference = await validate({ ...full, runner: always.runner, baselineReplays: "always" }, always.cases, always.motivating, always.lesson);
      const lazy = await validate({ ...full, runner: asNeeded.runner, baselineReplays: "as-needed" }, asNeeded.cases, asNeeded.motivating, asNeeded.lesson);
      const context = `trial ${trial} (${name}${failures ? ", replays that fail" : ""})`;
      expect(asNeeded.requests.length, context).toBeLessThanOrEqual(always.requests.length);
      saved += always.requests.length - asNeeded.requests.length;
      all += always.requests.length;
      // Every replay saved is one the evidence says was not needed (with failing replays, one that gave no result also spares its pair).
      const skipped = lazy.votes.flatMap((vote) => vote.evidence).filter((entry) => entry.withoutSkipped === true).length;
      if (!failures) expect(always.requests.length - asNeeded.requests.length, context).toBe(skipped);
      decisions.add(reference.decision);
      const differing = lazy.votes.filter((vote, at) => vote.decision !== reference.votes[at]?.decision);
      // The one difference: a replay without the lesson that failed to run cannot leave a case short when it was not needed, so a validator
      // that abstained for too few cases run both ways may vote. Without failed replays, every vote is the same.
      if (!failures) expect(differing, context).toEqual([]);
      for (const vote of differing) expect(reference.votes.find((entry) => entry.validator === vote.validator)?.reason, context).toMatch(/^Could not run enough cases/);
      moreRan += differing.length;
      if (differing.length === 0) expect(lazy.decision, context).toBe(reference.decision);

      // The defaults (early stop, breaks re-checked by another peer) reach the same verdict either way.
      const early = randomValidation(trial, createSeededRandom(trial + 1), false);
      const lateral = randomValidation(trial, createSeededRandom(trial + 1), false);
      const byDefault = await validate({ validators: PEERS, policy: policy(), runner: early.runner, baselineReplays: "always" }, early.cases, early.motivating, early.lesson);
      const lazyDefault = await validate({ validators: PEERS, policy: policy(), runner: lateral.runner }, lateral.cases, lateral.motivating, lateral.lesson);
      expect(lazyDefault.decision, `${context}, defaults`).toBe(byDefault.decision);
    }
    // Both verdicts occur.
    expect(decisions).toEqual(new Set(["approved", "rejected"]));
    // Some replays are saved on these random draws; what it comes to on realistic streams, the benchmark measures.
    expect(saved).toBeGreaterThan(0);
    expect(saved).toBeLessThan(all);
    expect(moreRan).toBeLessThan(10);
  }, 120_000);

  it("skips the replay without for a stored case that passes with the lesson, and says so in the evidence", async () => {
    const { runner, requests } = tableRunner((caseId, candidate) => ({ passed: caseId.startsWith("must") ? candidate !== undefined : true }));
    const verdict = await validate({ validators: [{ id: "peer-a" }], policy: majority(), runner }, SHOP_CASES, DAMAGED_PARCEL);

    expect(verdict.decision).toBe("approved");
    const evidence = verdict.votes[0]?.evidence ?? [];
    expect(evidence.find((entry) => entry.caseId === DAMAGED_PARCEL.id)).toMatchObject({ passedWithout: false, passedWith: true });
    expect(evidence.find((entry) => entry.caseId === DAMAGED_PARCEL.id)?.withoutSkipped).toBeUndefined();
    for (const stored of SHOP_CASES) {
      expect(evidence.find((entry) => entry.caseId === stored.id)).toMatchObject({ passedWithout: null, passedWith: true, withoutSkipped: true });
    }
    expect(evidence.find((entry) => entry.caseId === "reg-password")?.note).toContain("not replayed: the case passed with the lesson, so it cannot be a break");
    // The motivating case both ways, each stored case once.
    expect(requests).toHaveLength(2 + SHOP_CASES.length);
    expect(requests.filter((request) => request.edgeCase.id !== DAMAGED_PARCEL.id).every((request) => request.lesson !== undefined)).toBe(true);
  });

  it("still finds a break: a stored case that fails with the lesson is replayed without it, and the break rejects", async () => {
    const { runner, requests } = tableRunner((caseId, candidate) => ({ passed: caseId.startsWith("must") ? candidate !== undefined : !(caseId === "reg-gift-card" && candidate !== undefined) }));
    const verdict = await validate({ validators: [{ id: "peer-a" }], policy: majority(), runner, confirmBreaks: "off" }, SHOP_CASES, DAMAGED_PARCEL);

    expect(verdict.decision).toBe("rejected");
    expect(verdict.votes[0]?.evidence.find((entry) => entry.caseId === "reg-gift-card")).toMatchObject({ passedWithout: true, passedWith: false });
    expect(verdict.votes[0]?.reason).toContain("reg-gift-card passed without the lesson and failed with it");
    // With the lesson first, then without.
    expect(requests.filter((request) => request.edgeCase.id === "reg-gift-card").map((request) => request.lesson?.id ?? null)).toEqual(["refund-damaged", null]);
  });

  it("replays without the lesson a case whose fix could corroborate a must_pass case resting on one user's word", async () => {
    const onOneUsersWord = { ...DAMAGED_PARCEL, truth: { source: "user_feedback" as const, by: "u1" } };
    const secondUser = { ...edgeCase("reg-second-user", "Another customer's parcel of order 9 arrived damaged", answerCheck(["refund"])), truth: { source: "user_feedback" as const, by: "u2" } };
    const verified = edgeCase("reg-verified", "A customer asks for a refund because the parcel of order 5 arrived damaged", answerCheck(["refund"]));
    // Both stored cases failed without the lesson and pass with it: the second user's word corroborates the first's.
    const { runner, requests } = tableRunner((_caseId, candidate) => ({ passed: candidate !== undefined }));
    const verdict = await validate({ validators: [{ id: "peer-a" }], policy: majority(), runner }, [secondUser, verified], onOneUsersWord);

    expect(verdict.decision).toBe("approved");
    expect(requests.filter((request) => request.edgeCase.id === "reg-second-user")).toHaveLength(2);
    expect(requests.filter((request) => request.edgeCase.id === "reg-verified")).toHaveLength(1);
    expect(verdict.votes[0]?.evidence.find((entry) => entry.caseId === "reg-second-user")).toMatchObject({ passedWithout: false, passedWith: true });

    // Without the replay of the second user's case, the must_pass fix would rest on one user's word and be rejected.
    const alone = await validate({ validators: [{ id: "peer-a" }], policy: majority(), runner: tableRunner((_caseId, candidate) => ({ passed: candidate !== undefined })).runner }, [verified], onOneUsersWord);
    expect(alone.decision).toBe("rejected");
  });

  it("refuses an unknown baselineReplays setting, naming it", async () => {
    const edgeCaseStore = await openCaseStore();
    expect(() =>
      createValidatorEnsemble({ validators: PEERS, runner: tableRunner(() => ({ passed: true })).runner, edgeCaseStore, baselineReplays: "never" as unknown as "always" }),
    ).toThrow(/baselineReplays/);
  });
});
