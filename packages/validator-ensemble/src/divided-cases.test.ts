import type { Scope, Verdict } from "@lessonloop/core";
import { VerdictSchema } from "@lessonloop/core/internal";
import { createManualClock } from "@lessonloop/core/testing";
import { describe, expect, it } from "vitest";
import { dealStoredCases } from "./case-selection.js";
import { majority } from "./consensus-policy.js";
import { DAMAGED_PARCEL, REFUND_DAMAGED, REFUND_EVERYTHING, SCOPE, SHOP_CASES, edgeCase, answerCheck, openCaseStore, tableRunner } from "./tests/fixtures.js";
import { createValidatorEnsemble, type ValidatorEnsembleParams } from "./validator-ensemble.js";

const clock = createManualClock("2026-03-01T12:00:00.000Z");
const validators = [{ id: "peer-a" }, { id: "peer-b" }, { id: "peer-c" }];
const ANA: Scope = { ...SCOPE, user: "ana" };

/** The shop's stored cases and two more, all Ana's: six cases to divide among three validators. */
const ANAS_CASES = [
  ...SHOP_CASES,
  edgeCase("reg-address", "A customer asks to change the delivery address of order 55", answerCheck(["address"])),
  edgeCase("reg-invoice", "A customer asks for an invoice copy for order 61", answerCheck(["invoice"])),
].map((stored) => ({ ...stored, scope: ANA }));
const STORED = ANAS_CASES.map((stored) => stored.id);

/** A right lesson: it fixes the motivating case and every stored case passes with and without it. */
const rightLesson = (caseId: string, lesson: unknown) => ({ passed: caseId.startsWith("must") ? lesson !== undefined : true });

async function validate(params: Omit<ValidatorEnsembleParams, "edgeCaseStore" | "clock" | "validators">, scope = ANA, lesson = REFUND_DAMAGED): Promise<Verdict> {
  const edgeCaseStore = await openCaseStore(ANAS_CASES);
  const ensemble = createValidatorEnsemble({ validators, edgeCaseStore, clock, ...params });
  const { verdict } = await ensemble.invoke({ lesson: { ...lesson, scope }, motivatingCases: [{ ...DAMAGED_PARCEL, scope }] });
  return VerdictSchema.parse(verdict);
}

/** How many replays each case got, by case id. */
function replaysPerCase(requests: readonly { edgeCase: { id: string } }[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const request of requests) counts[request.edgeCase.id] = (counts[request.edgeCase.id] ?? 0) + 1;
  return counts;
}

describe("dealStoredCases", () => {
  it("gives every validator the motivating cases and deals the stored ones in turn, most relevant first", () => {
    const cases = [DAMAGED_PARCEL, ...ANAS_CASES].map((input) => ({ ...input, truth: undefined, source: undefined })) as Parameters<typeof dealStoredCases>[0];
    const shares = dealStoredCases(cases, new Set([DAMAGED_PARCEL.id]), ["a", "b", "c"]);
    const ids = (id: string) => shares.get(id)?.map((entry) => entry.id);
    expect(ids("a")).toEqual([DAMAGED_PARCEL.id, STORED[0], STORED[3]]);
    expect(ids("b")).toEqual([DAMAGED_PARCEL.id, STORED[1], STORED[4]]);
    expect(ids("c")).toEqual([DAMAGED_PARCEL.id, STORED[2], STORED[5]]);
  });
});

describe("stored cases divided among the validators (divideStoredCases)", () => {
  it("replays each stored case of a one-user lesson once, where every validator replayed each before", async () => {
    const divided = tableRunner(rightLesson);
    const verdict = await validate({ runner: divided.runner });
    expect(verdict.decision).toBe("approved");
    const perCase = replaysPerCase(divided.requests);
    // The motivating case both ways by every validator; each stored case with the lesson by one.
    expect(perCase[DAMAGED_PARCEL.id]).toBe(6);
    for (const id of STORED) expect(perCase[id], id).toBe(1);
    expect(verdict.reason).toContain('its 6 stored cases were divided among "peer-a", "peer-b", "peer-c" (peer-a: 2, peer-b: 2, peer-c: 2); 6 were replayed');

    const whole = tableRunner(rightLesson);
    const each = await validate({ runner: whole.runner, divideStoredCases: "never" });
    expect(each.decision).toBe("approved");
    for (const id of STORED) expect(replaysPerCase(whole.requests)[id], id).toBe(3);
    expect(whole.requests.length).toBe(24);
    expect(divided.requests.length).toBe(12);
  });

  it("does not divide a lesson that reaches a whole tenant, nor under a policy that weighs fixes against breaks", async () => {
    const tenant = tableRunner(rightLesson);
    const verdict = await validate({ runner: tenant.runner }, SCOPE);
    expect(verdict.decision).toBe("approved");
    expect(verdict.reason).not.toContain("divided");
    for (const id of SHOP_CASES.map((stored) => stored.id)) expect(replaysPerCase(tenant.requests)[id], id).toBe(3);

    const weighing = tableRunner(rightLesson);
    await validate({ runner: weighing.runner, policy: majority({ quorum: 2, allowRegressions: true }) });
    // Fixes weigh against breaks there, so every validator replays every case both ways.
    for (const id of STORED) expect(replaysPerCase(weighing.requests)[id], id).toBe(6);
  });

  it("a break in one validator's share is re-checked by another validator and vetoes the lesson", async () => {
    // Refunding everything breaks the late-refund case; only the validator it is dealt to replays it.
    const { runner, requests } = tableRunner((caseId, lesson) => ({
      passed: caseId.startsWith("must") ? lesson !== undefined : !(caseId === "reg-late-refund" && lesson !== undefined),
    }));
    const verdict = await validate({ runner, earlyStop: false }, ANA, REFUND_EVERYTHING);
    expect(verdict.decision).toBe("rejected");
    const broken = verdict.votes.flatMap((vote) => vote.evidence.filter((entry) => entry.caseId === "reg-late-refund").map((entry) => ({ vote: vote.validator, entry })));
    expect(broken).toHaveLength(1);
    const [{ vote, entry }] = broken as [(typeof broken)[number]];
    expect(entry.confirmation).toMatchObject({ confirmed: true });
    expect(entry.confirmation?.by).not.toBe(vote);
    expect(verdict.votes.find((other) => other.validator === vote)?.decision).toBe("reject");
    // Its two runs and the re-check's two: no one else replays it.
    expect(replaysPerCase(requests)["reg-late-refund"]).toBe(4);
  });

  it("a share its validator could not replay leaves the verdict undecided, not approved", async () => {
    // peer-c's stored replays fail: it abstains, and the other two approve on their own shares.
    const runner = tableRunner((caseId, lesson, request) => {
      if (request.validator.id === "peer-c" && !caseId.startsWith("must")) throw new Error("sandbox unavailable");
      return rightLesson(caseId, lesson);
    }).runner;
    const verdict = await validate({ runner });
    expect(verdict.tally).toEqual({ approve: 2, reject: 0, abstain: 1 });
    expect(verdict.decision).toBe("rejected");
    expect(verdict.undecided).toMatch(/^2 of the stored cases divided among the validators were not replayed \(.+\), so no one checked them$/);

    // Every validator replaying every case, the other two checked peer-c's cases: approved.
    const each = await validate({ runner, divideStoredCases: "never" });
    expect(each.decision).toBe("approved");
  });

  it("rejects an unknown setting with a message that names the choices", () => {
    expect(() => createValidatorEnsemble({ validators, runner: tableRunner(rightLesson).runner, edgeCaseStore: undefined as never, divideStoredCases: "half" as never })).toThrow(/divideStoredCases/);
  });
});
