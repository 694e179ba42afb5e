import { createManualClock } from "@lessonloop/core/testing";
import { describe, expect, it } from "vitest";
import { episodeOfRun, outcomeOfSignals } from "./episode-of-run.js";

describe("outcomeOfSignals", () => {
  it("lets the first failing signal decide: state check, then auditor, then user", () => {
    expect(
      outcomeOfSignals({
        environment: { passed: true, detail: "invoice created" },
        audit: { passed: false, reason: "refund above the limit" },
        feedback: { rating: "negative", text: "wrong date format" },
      }),
    ).toEqual({ status: "failure", signal: { source: "evaluator", detail: "refund above the limit" } });
    expect(outcomeOfSignals({ environment: { passed: true, detail: "ok" }, feedback: { rating: "negative", text: "no" } })).toEqual({
      status: "failure",
      signal: { source: "user_feedback", detail: "no" },
    });
  });

  it("is a success when every signal passes, and unknown without any", () => {
    expect(outcomeOfSignals({ feedback: { rating: "positive", text: "thanks" } })).toEqual({
      status: "success",
      signal: { source: "user_feedback", detail: "thanks" },
    });
    expect(outcomeOfSignals({})).toEqual({ status: "unknown", signal: { source: "none", detail: "" } });
  });
});

describe("episodeOfRun", () => {
  it("appends the user's reaction to the trajectory and keeps scope, version and served lessons", () => {
    const episode = episodeOfRun({
      id: "api-drift.3",
      task: { id: "api-drift#3", index: 3, kind: "invoice", request: "Invoice ACME 12.50 EUR", scope: { tenant: "acme", user: "ana" } },
      run: { trajectory: [{ type: "message", role: "user", content: "Invoice ACME 12.50 EUR" }], answer: "Done.", usage: { calls: 1, promptTokens: 10, completionTokens: 2 } },
      signals: { feedback: { rating: "negative", text: "Dates like 24.11.2026, please." } },
      memoryVersion: 4,
      servedLessons: ["l-1"],
      clock: createManualClock("2026-03-01T10:00:00.000Z"),
    });
    expect(episode.trajectory.at(-1)).toEqual({ type: "message", role: "user", content: "Dates like 24.11.2026, please." });
    expect(episode).toMatchObject({ id: "api-drift.3", input: "Invoice ACME 12.50 EUR", scope: { tenant: "acme", user: "ana" }, memoryVersion: 4, servedLessons: ["l-1"] });
    expect(episode.outcome.status).toBe("failure");
  });
});
