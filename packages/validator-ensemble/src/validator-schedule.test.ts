import type { Verdict } from "@lessonloop/core";
import { VerdictSchema } from "@lessonloop/core/internal";
import { createManualClock, createSeededRandom } from "@lessonloop/core/testing";
import { describe, expect, it } from "vitest";
import { findBreaks, majority, supermajority, unanimous, weighted, type ConsensusPolicy } from "./consensus-policy.js";
import { anotherValidatorNeeded } from "./early-stop.js";
import { DAMAGED_PARCEL, REFUND_DAMAGED, REFUND_EVERYTHING, SHOP_CASES, openCaseStore, tableRunner, vote } from "./tests/fixtures.js";
import { createValidatorEnsemble, type ValidatorEnsembleParams } from "./validator-ensemble.js";
import type { Validator } from "./validator.js";

const clock = createManualClock("2026-03-01T12:00:00.000Z");
const PEERS = ["peer-a", "peer-b", "peer-c"] as const;
const peers = (ids: readonly string[] = PEERS): Validator[] => ids.map((id) => ({ id }));

/** A right lesson: it fixes the damaged-parcel case and leaves every stored case passing. */
const rightLesson = (caseId: string, lesson: unknown) => ({ passed: caseId.startsWith("must") ? lesson !== undefined : true });

async function validate(params: Omit<ValidatorEnsembleParams, "edgeCaseStore" | "clock">, lesson = REFUND_DAMAGED): Promise<Verdict> {
  const edgeCaseStore = await openCaseStore(SHOP_CASES);
  const { verdict } = await createValidatorEnsemble({ edgeCaseStore, clock, ...params }).invoke({ lesson, motivatingCases: [DAMAGED_PARCEL] });
  return VerdictSchema.parse(verdict);
}

const replayedBy = (requests: readonly { validator: Validator }[]) => new Set(requests.map((request) => request.validator.id));
const decisionsOf = (verdict: Verdict) => Object.fromEntries(verdict.votes.map((entry) => [entry.validator, entry.decision]));

describe('validators started as needed (validatorSchedule: "as-needed")', () => {
  it("with 3 validators and majority quorum 2, two approvals decide: the third never replays and says why", async () => {
    const { runner, requests } = tableRunner(rightLesson);
    const verdict = await validate({ validators: peers(), runner, policy: majority({ quorum: 2 }), validatorSchedule: "as-needed" });

    expect(verdict.decision).toBe("approved");
    expect(replayedBy(requests)).toEqual(new Set(["peer-a", "peer-b"]));
    // Each: the must_pass case both ways, the 4 stored cases with the lesson only (they pass, so none can be a break).
    expect(requests).toHaveLength(12);
    const third = verdict.votes.find((entry) => entry.validator === "peer-c");
    expect(third).toMatchObject({ decision: "abstain", evidence: [] });
    expect(third?.reason).toMatch(/^Not started: the votes cast \(2 approve, 0 reject, 0 abstain\) decide the verdict under majority/);
    expect(third?.stoppedEarly).toContain("cannot veto");
    expect(verdict.tally).toEqual({ approve: 2, reject: 0, abstain: 1 });
    expect(verdict.reason).toContain('Validators started as needed: "peer-a", "peer-b" first; not started: "peer-c"');

    // All at once (the default), the same lesson costs the third validator's replays too.
    const all = tableRunner(rightLesson);
    const parallel = await validate({ validators: peers(), runner: all.runner, policy: majority({ quorum: 2 }) });
    expect(parallel.decision).toBe("approved");
    expect(all.requests).toHaveLength(18);
    expect(replayedBy(all.requests)).toEqual(new Set(PEERS));
  });

  it("starts the third on a split vote, and its vote decides", async () => {
    // peer-b's agent ignores the lesson on the motivating case: it fixes nothing there and rejects.
    const { runner, requests } = tableRunner((caseId, lesson, request) => ({
      passed: caseId.startsWith("must") ? lesson !== undefined && request.validator.id !== "peer-b" : true,
    }));
    const verdict = await validate({ validators: peers(), runner, policy: majority({ quorum: 2 }), validatorSchedule: "as-needed" });

    expect(decisionsOf(verdict)).toEqual({ "peer-a": "approve", "peer-b": "reject", "peer-c": "approve" });
    expect(verdict.decision).toBe("approved");
    expect(replayedBy(requests)).toEqual(new Set(PEERS));
    const third = verdict.votes.find((entry) => entry.validator === "peer-c");
    expect(third?.reason).toMatch(/^Started as needed: the votes so far could still be outvoted under majority \(1 approve, 1 reject, 0 abstain\)\. Fixes 1 must_pass case/);
    expect(third?.stoppedEarly).toBeUndefined();
    // The third started only after the first two had voted: its replays come last.
    const firstOfC = requests.findIndex((request) => request.validator.id === "peer-c");
    expect(requests.slice(firstOfC).every((request) => request.validator.id === "peer-c")).toBe(true);
  });

  it("starts the next validator when one abstains because its replays failed", async () => {
    const { runner, requests } = tableRunner((caseId, lesson, request) => {
      if (request.validator.id === "peer-a") throw new Error("model endpoint down");
      return rightLesson(caseId, lesson);
    });
    const verdict = await validate({ validators: peers(), runner, policy: majority({ quorum: 2 }), validatorSchedule: "as-needed", concurrency: 1 });

    expect(decisionsOf(verdict)).toEqual({ "peer-a": "abstain", "peer-b": "approve", "peer-c": "approve" });
    expect(verdict.decision).toBe("approved");
    expect(verdict.votes.find((entry) => entry.validator === "peer-c")?.reason).toMatch(/^Started as needed: no quorum yet \(1 approve-or-reject of 2 needed\)/);
    expect(replayedBy(requests).has("peer-c")).toBe(true);
  });

  it("starts every validator the quorum needs at once: unanimous with quorum 3 runs all three", async () => {
    const { runner, requests } = tableRunner(rightLesson);
    const verdict = await validate({ validators: peers(), runner, policy: unanimous({ quorum: 3 }), validatorSchedule: "as-needed", concurrency: 6 });
    expect(verdict.decision).toBe("approved");
    expect(verdict.tally).toEqual({ approve: 3, reject: 0, abstain: 0 });
    // All three replay from the start, side by side: none waits for another's vote.
    expect(replayedBy(requests)).toEqual(new Set(PEERS));
    expect(verdict.reason).toContain('Validators started as needed: "peer-a", "peer-b", "peer-c" first.');
    expect(verdict.votes.every((entry) => !entry.reason.startsWith("Started as needed"))).toBe(true);
  });

  it("under unanimity two approvals do not decide (the third could reject), so the third runs", async () => {
    const { runner, requests } = tableRunner(rightLesson);
    const verdict = await validate({ validators: peers(), runner, policy: unanimous({ quorum: 2 }), validatorSchedule: "as-needed" });
    expect(verdict.decision).toBe("approved");
    expect(replayedBy(requests)).toEqual(new Set(PEERS));
    expect(verdict.votes.find((entry) => entry.validator === "peer-c")?.reason).toMatch(/^Started as needed: the votes so far could still be outvoted under unanimous/);
  });

  it("under a weighted policy the third runs when its weight could tip the vote, and not when it could not", async () => {
    const heavy = tableRunner(rightLesson);
    const tipping = await validate({
      validators: [{ id: "peer-a" }, { id: "peer-b" }, { id: "peer-c", weight: 3 }],
      runner: heavy.runner,
      policy: weighted({ quorum: 2 }),
      validatorSchedule: "as-needed",
    });
    expect(tipping.decision).toBe("approved");
    expect(replayedBy(heavy.requests)).toEqual(new Set(PEERS));

    const light = tableRunner(rightLesson);
    const decided = await validate({
      validators: [{ id: "peer-a" }, { id: "peer-b" }, { id: "peer-c", weight: 1 }],
      runner: light.runner,
      policy: weighted({ quorum: 2, trackRecord: (id) => (id === "peer-c" ? 0.5 : 1) }),
      validatorSchedule: "as-needed",
    });
    expect(decided.decision).toBe("approved");
    expect(replayedBy(light.requests)).toEqual(new Set(["peer-a", "peer-b"]));
  });

  it("starts the next validator when a break one run saw is disputed by its re-check", async () => {
    const { runner, requests } = tableRunner((caseId, lesson, request) => {
      if (caseId.startsWith("must")) return { passed: lesson !== undefined };
      // peer-a misreads its first replay of the password case with the lesson; peer-b's re-check does not see it.
      return { passed: !(request.validator.id === "peer-a" && caseId === "reg-password" && lesson !== undefined && (request.attempt ?? 1) === 1) };
    });
    const verdict = await validate({ validators: peers(), runner, policy: majority({ quorum: 2 }), validatorSchedule: "as-needed" });

    expect(verdict.decision).toBe("approved");
    expect(decisionsOf(verdict)).toEqual({ "peer-a": "approve", "peer-b": "approve", "peer-c": "approve" });
    expect(verdict.votes.find((entry) => entry.validator === "peer-c")?.reason).toMatch(/^Started as needed: a break was disputed by its re-check: reg-password \(seen by peer-a, not by peer-b\)/);
    expect(requests.filter((request) => request.validator.id === "peer-c" && (request.attempt ?? 1) === 1)).toHaveLength(6);
  });

  it("a confirmed break still rejects at once, and the third is not started", async () => {
    const { runner, requests } = tableRunner((caseId, lesson) => ({ passed: caseId.startsWith("must") ? lesson !== undefined : !(caseId === "reg-gift-card" && lesson !== undefined) }));
    const verdict = await validate({ validators: peers(), runner, policy: majority({ quorum: 2 }), validatorSchedule: "as-needed" }, REFUND_EVERYTHING);

    expect(verdict.decision).toBe("rejected");
    expect([...findBreaks(verdict.votes).keys()]).toEqual(["reg-gift-card"]);
    expect(verdict.votes.find((entry) => entry.validator === "peer-c")).toMatchObject({ decision: "abstain", stoppedEarly: "a confirmed break already rejects the lesson under majority" });
    // peer-c re-checked peer-b's break (the next peer confirms), but never replayed the lesson's cases on its own.
    expect(requests.filter((request) => request.validator.id === "peer-c").every((request) => request.attempt === 2)).toBe(true);
  });

  it("the trade-off: a validator that does not run cannot veto with a break only it would see", async () => {
    // Only peer-c's agent is hurt by the lesson on the tracking case (a break the others miss).
    const table = () => tableRunner((caseId, lesson, request) => ({ passed: caseId.startsWith("must") ? lesson !== undefined : !(request.validator.id === "peer-c" && caseId === "reg-tracking" && lesson !== undefined) }));
    const params = { validators: peers(), policy: majority({ quorum: 2 }), confirmBreaks: "same-validator" as const };
    const all = await validate({ ...params, runner: table().runner });
    const asNeeded = await validate({ ...params, runner: table().runner, validatorSchedule: "as-needed" });
    expect(all.decision).toBe("rejected");
    expect(asNeeded.decision).toBe("approved");
  });

  it("over random replay tables: the same decision as all at once, unless only an unstarted validator saw a break; fewer replays", async () => {
    const POLICIES: ConsensusPolicy[] = [majority({ quorum: 2 }), supermajority({ quorum: 2 }), unanimous({ quorum: 2 }), weighted({ quorum: 2, trackRecord: (id) => (id === "peer-a" ? 0.6 : 1) })];
    let saved = 0;
    let unchanged = 0;
    const decisions = new Set<string>();
    for (let seed = 1; seed <= 40; seed++) {
      const random = createSeededRandom(seed);
      const policy = POLICIES[seed % POLICIES.length] as ConsensusPolicy;
      const outcomes = new Map<string, boolean | null>();
      const outcomeOf = (key: string, pass: number) => {
        if (!outcomes.has(key)) outcomes.set(key, random.chance(0.05) ? null : random.chance(pass));
        return outcomes.get(key) as boolean | null;
      };
      const make = () =>
        tableRunner((caseId, lesson, request) => {
          const key = `${request.validator.id}:${caseId}:${lesson === undefined ? "without" : "with"}:${request.attempt ?? 1}`;
          if (caseId.startsWith("must")) return { passed: lesson === undefined ? false : outcomeOf(key, 0.8) };
          return { passed: lesson === undefined ? true : outcomeOf(key, 0.93) };
        });
      const full = make();
      const staged = make();
      const params = { validators: peers(), policy, confirmBreaks: seed % 2 === 0 ? ("other-validator" as const) : ("off" as const) };
      const fullVerdict = await validate({ ...params, runner: full.runner });
      const stagedVerdict = await validate({ ...params, runner: staged.runner, validatorSchedule: "as-needed" });
      decisions.add(fullVerdict.decision);
      if (stagedVerdict.decision !== fullVerdict.decision) {
        // Only the trade-off: approved as needed, vetoed in full by a break seen only by validators that did not start.
        expect(stagedVerdict.decision, `seed ${seed}`).toBe("approved");
        const notStarted = new Set(stagedVerdict.votes.filter((entry) => entry.stoppedEarly !== undefined && entry.evidence.length === 0).map((entry) => entry.validator));
        const seenBy = [...findBreaks(fullVerdict.votes).values()].flat();
        expect(seenBy.length, `seed ${seed}`).toBeGreaterThan(0);
        expect(seenBy.every((id) => notStarted.has(id)), `seed ${seed}`).toBe(true);
      } else unchanged += 1;
      saved += full.requests.length - staged.requests.length;
    }
    expect(decisions).toEqual(new Set(["approved", "rejected"]));
    expect(unchanged).toBeGreaterThan(30);
    expect(saved).toBeGreaterThan(0);
  });

  it("refuses an unknown schedule with a typed error that names the option", async () => {
    const edgeCaseStore = await openCaseStore();
    expect(() =>
      createValidatorEnsemble({ validators: peers(), runner: tableRunner(rightLesson).runner, edgeCaseStore, validatorSchedule: "staggered" as unknown as "as-needed" }),
    ).toThrow(/validatorSchedule/);
  });
});

describe("anotherValidatorNeeded", () => {
  const ask = (policy: ConsensusPolicy, votes: ReturnType<typeof vote>[], unstarted: string[] = ["c"], weightOf?: (id: string) => number) =>
    anotherValidatorNeeded({ policy, votes, unstarted, lessonId: "lesson-1", ...(weightOf === undefined ? {} : { context: { weightOf } }) }).needed;

  it("decides what no unstarted vote could change, and nothing else", () => {
    const policy = majority({ quorum: 2 });
    expect(ask(policy, [vote("a", "approve"), vote("b", "approve")])).toBe(false);
    expect(ask(policy, [vote("a", "reject"), vote("b", "reject")])).toBe(false);
    expect(ask(policy, [vote("a", "approve"), vote("b", "reject")])).toBe(true);
    expect(ask(policy, [vote("a", "approve"), vote("b", "abstain")])).toBe(true);
    // Five validators: two approvals can still be outvoted by three.
    expect(ask(policy, [vote("a", "approve"), vote("b", "approve")], ["c", "d", "e"])).toBe(true);
    expect(ask(policy, [vote("a", "approve"), vote("b", "approve")], [])).toBe(false);
  });

  it("treats unanimity, supermajority and weights as the policy does", () => {
    expect(ask(unanimous({ quorum: 2 }), [vote("a", "approve"), vote("b", "approve")])).toBe(true);
    expect(ask(unanimous({ quorum: 2 }), [vote("a", "approve"), vote("b", "reject")])).toBe(false);
    expect(ask(supermajority({ quorum: 2 }), [vote("a", "approve"), vote("b", "approve")])).toBe(false);
    expect(ask(weighted({ quorum: 2 }), [vote("a", "approve"), vote("b", "approve")], ["c"], (id) => (id === "c" ? 3 : 1))).toBe(true);
    expect(ask(weighted({ quorum: 2 }), [vote("a", "approve"), vote("b", "approve")], ["c"], () => 1)).toBe(false);
  });

  it("a confirmed break decides; a disputed one does not", () => {
    const policy = majority({ quorum: 2 });
    const broke = { caseId: "reg-1", passedWithout: true, passedWith: false };
    expect(ask(policy, [vote("a", "reject", [{ ...broke, confirmation: { by: "b", confirmed: true } }]), vote("b", "approve")])).toBe(false);
    expect(ask(policy, [vote("a", "approve", [{ ...broke, confirmation: { by: "b", confirmed: false } }]), vote("b", "approve")])).toBe(true);
  });
});
