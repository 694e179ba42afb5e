import { EdgeCaseSchema, type EdgeCaseInput } from "@lessonloop/core";
import { createManualClock } from "@lessonloop/core/testing";
import { describe, expect, it } from "vitest";
import { numbersIn, selectCases } from "./case-selection.js";
import { majority } from "./consensus-policy.js";
import { answerCheck, edgeCase, lesson, openCaseStore, tableRunner } from "./tests/fixtures.js";
import { createValidatorEnsemble } from "./validator-ensemble.js";

const refund = (id: string, days: number, amount: number) =>
  edgeCase(id, `The customer of order ${id} (delivered ${days} days ago) asks for a refund of ${amount} EUR.`, answerCheck(["refund"]));

describe("numbersIn", () => {
  it("reads amounts, days and counts, with thousands separators and decimals", () => {
    expect(numbersIn("Refunds over 1,250.50 EUR, or older than 14 days, go to deny_refund (v2)")).toEqual([1250.5, 14]);
    expect(numbersIn("no numbers here")).toEqual([]);
    expect(numbersIn("0 items, 3.5 kg")).toEqual([3.5]);
  });
});

describe("selectCases", () => {
  const pool = [refund("a", 2, 40), refund("b", 3, 45), refund("c", 25, 60), refund("d", 9, 30), refund("e", 12, 35), refund("f", 40, 20)].map((input) => ({ edgeCase: EdgeCaseSchema.parse(input) }));

  it("takes the most relevant cases for a lesson that names no number", () => {
    expect(selectCases(pool, { guidance: "apologise first" }, 4).map((entry) => entry.id)).toEqual(["a", "b", "c", "d"]);
  });

  it("gives half the places to the cases whose numbers are nearest to the lesson's", () => {
    // 7 days: the nearest numbers among the less relevant are 9 (d) and 12 (e).
    expect(selectCases(pool, { guidance: "Deny refunds once more than 7 days have passed since delivery." }, 4).map((entry) => entry.id)).toEqual(["a", "b", "d", "e"]);
  });

  it("fills with the next most relevant when too few cases hold numbers", () => {
    const words = [...pool.slice(0, 2), { edgeCase: EdgeCaseSchema.parse({ ...refund("c", 25, 60), input: "A customer asks for a refund" }) }];
    expect(selectCases(words, { guidance: "Over 100 EUR needs approval" }, 3).map((entry) => entry.id)).toEqual(["a", "b", "c"]);
  });
});

describe("a lesson whose threshold is guessed too wide", () => {
  it("is replayed on the cases just inside its threshold, and rejected for breaking them", async () => {
    // Twenty refunds; the true window is 14 days, the lesson says 7. The four just inside it are worded a little further from the lesson.
    const days = [1, 2, 3, 20, 22, 25, 28, 30, 33, 35, 38, 40, 45, 50, 55, 60, 9, 10, 12, 13];
    const stored: EdgeCaseInput[] = days.map((day, index) => {
      const input = refund(`r${index}`, day, 50 + index);
      return day > 7 && day <= 14 ? { ...input, input: `${input.input} The box was opened once, the receipt is attached, and the shop is asked to confirm by email.` } : input;
    });
    const motivating = { ...refund("must-late", 20, 70), kind: "must_pass" as const };
    const tooWide = lesson("deny-after-7", { trigger: "a customer asks for a refund of an order delivered days ago", guidance: "Use deny_refund once more than 7 days have passed since delivery.", kind: "constraint" });
    // With the lesson the agent denies everything past 7 days: right past 14, a break from 8 to 14.
    const { runner } = tableRunner((caseId, candidate, request) => {
      const day = Number(/delivered (\d+) days/.exec(request.edgeCase.input)?.[1]);
      if (caseId === "must-late") return { passed: candidate !== undefined };
      return { passed: candidate === undefined || day <= 7 || day > 14 };
    });
    const edgeCaseStore = await openCaseStore(stored);
    const { verdict } = await createValidatorEnsemble({ validators: [{ id: "peer-a" }, { id: "peer-b" }], runner, edgeCaseStore, policy: majority({ quorum: 2 }), coverage: false, clock: createManualClock("2026-03-01T12:00:00.000Z") }).invoke({
      lesson: tooWide,
      motivatingCases: [motivating],
    });
    expect(verdict?.decision).toBe("rejected");
    expect(verdict?.reason).toMatch(/breaks/);
  });
});

describe("a lesson worded more broadly than the failure it came from", () => {
  const credit = (id: string, days: number, amount: number) => ({
    ...edgeCase(id, `Give the customer of order ${id} (delivered ${days} days ago) ${amount} EUR in store credit.`, answerCheck(["credit"])),
    tools: ["issue_store_credit"],
  });
  const refunds = Array.from({ length: 12 }, (_unused, index) => ({ ...refund(`r${index}`, 12 + index, 40 + index), tools: ["issue_refund"] }));
  // Store credit far from the lesson's number (14 days), so only the share of other tools can pick them.
  const credits = [credit("c1", 90, 900), credit("c2", 95, 950), credit("c3", 99, 990)];

  it("gives a quarter of the places to the most relevant cases of other tools", () => {
    const pool = [...refunds, ...credits].map((input) => ({ edgeCase: EdgeCaseSchema.parse(input) }));
    const chosen = selectCases(pool, { guidance: "deny late refunds" }, 8, new Set(["issue_refund"]));
    expect(chosen.map((entry) => entry.id)).toEqual(["r0", "r1", "r2", "r3", "r4", "r5", "c1", "c2"]);
    // Without tools to go by, the most relevant.
    expect(selectCases(pool, { guidance: "deny late refunds" }, 8).map((entry) => entry.id)).toEqual(refunds.slice(0, 8).map((entry) => entry.id));
  });

  it("is replayed on a task of another tool, and rejected for breaking it", async () => {
    const anyTool = lesson("deny-any-tool", {
      trigger: "a customer asks for a refund of an order delivered days ago",
      guidance: "Use deny_refund in place of any tool once more than 14 days have passed since delivery.",
      kind: "constraint",
    });
    // With the lesson the agent denies every late request: right for refunds, a break for store credit.
    const { runner, requests } = tableRunner((caseId, candidate) => ({ passed: caseId === "must-late" ? candidate !== undefined : candidate === undefined || !caseId.startsWith("c") }));
    const motivating = { ...refund("must-late", 20, 70), kind: "must_pass" as const, tools: ["issue_refund"] };
    const edgeCaseStore = await openCaseStore([...refunds, ...credits]);
    const { verdict } = await createValidatorEnsemble({ validators: [{ id: "peer-a" }, { id: "peer-b" }], runner, edgeCaseStore, policy: majority({ quorum: 2 }), coverage: false, clock: createManualClock("2026-03-01T12:00:00.000Z") }).invoke({
      lesson: anyTool,
      motivatingCases: [motivating],
    });
    expect(requests.some((request) => request.edgeCase.id.startsWith("c"))).toBe(true);
    expect(verdict?.decision).toBe("rejected");
    expect(verdict?.reason).toMatch(/breaks/i);
  });
});

