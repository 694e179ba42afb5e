import { describe, expect, it } from "vitest";
import { judgeReplay } from "./sandbox-replay-runner.js";

const GREETING = 'No need to be so stiff with me, just start with "Hi".';
const DATE = "Please write dates like 04.03.2026, as I asked before.";
/** A rubric as the learner writes one per objection (quoted as JSON strings, the checked one last). */
const rubricFor = (checked: string) => ({
  type: "rubric" as const,
  rubric:
    `An earlier run of this task failed: the user raised 2 objections, ${JSON.stringify(GREETING)}, ${JSON.stringify(DATE)}. ` +
    `This case checks one of them: ${JSON.stringify(checked)}. Pass only if the agent completes the task without drawing that objection again ` +
    "and without drawing any objection that was not raised before; the other objections may remain.",
});
const run = { answer: "Hi Ana, your parcel arrives on 2026-03-04.", trajectory: [] };
const complaint = (...objections: string[]) => ({ feedback: { rating: "negative" as const, text: objections.join(" ") } });

describe("judgeReplay", () => {
  it("passes a case about one objection when the user no longer raises it, though another remains", () => {
    expect(judgeReplay(rubricFor(GREETING), run, complaint(DATE))).toMatchObject({ passed: true });
    expect(judgeReplay(rubricFor(DATE), run, complaint(DATE))).toMatchObject({ passed: false });
    expect(judgeReplay(rubricFor(GREETING), run, { feedback: { rating: "positive", text: "Thanks, that's right." } })).toMatchObject({ passed: true });
  });

  it("fails it when the user raises something they had not raised before", () => {
    expect(judgeReplay(rubricFor(GREETING), run, complaint("The new delivery date in the reply is wrong."))).toMatchObject({ passed: false });
  });

  it("fails it when another signal fails, whatever the user says", () => {
    expect(judgeReplay(rubricFor(GREETING), run, { ...complaint(DATE), environment: { passed: false, detail: "the booking is wrong" } })).toMatchObject({ passed: false });
  });

  it("keeps a rubric about the whole failure failing until the user has nothing left to object", () => {
    const whole = { type: "rubric" as const, rubric: `An earlier run of this task failed. The user gave negative feedback: "${GREETING} ${DATE}" Pass only if the agent completes the task without this failure.` };
    expect(judgeReplay(whole, run, complaint(DATE))).toMatchObject({ passed: false });
    expect(judgeReplay(whole, run, { feedback: { rating: "positive", text: "Thanks." } })).toMatchObject({ passed: true });
  });
});
