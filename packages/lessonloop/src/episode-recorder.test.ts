import { AIMessage, HumanMessage, SystemMessage, ToolMessage } from "@langchain/core/messages";
import { LessonloopError } from "@lessonloop/core";
import { createManualClock, createSequentialIds } from "@lessonloop/core/testing";
import { describe, expect, it } from "vitest";
import { createEpisodeRecorder, trajectoryFromMessages } from "./episode-recorder.js";

describe("trajectoryFromMessages", () => {
  it("turns messages into steps: text, tool calls, tool results with their errors; the lessons message left out", () => {
    const steps = trajectoryFromMessages(
      [
        new SystemMessage({ id: "lessonloop-lessons", content: "Lessons learned …" }),
        new SystemMessage({ id: "sys", content: "You are a billing agent." }),
        new HumanMessage({ id: "h", content: "Invoice ACME 12.50 EUR" }),
        new AIMessage({ id: "a1", content: "", tool_calls: [{ id: "c1", name: "create_invoice", args: { amount: 12.5 } }] }),
        new ToolMessage({ tool_call_id: "c1", content: "Error: send amount_cents", status: "error" }),
        new AIMessage({ id: "a2", content: [{ type: "text", text: "I could not do it." }] }),
      ],
      { skipIds: new Set(["lessonloop-lessons"]) },
    );
    expect(steps).toEqual([
      { type: "message", role: "system", content: "You are a billing agent." },
      { type: "message", role: "user", content: "Invoice ACME 12.50 EUR" },
      { type: "tool_call", id: "c1", name: "create_invoice", args: { amount: 12.5 } },
      { type: "tool_result", callId: "c1", name: "create_invoice", content: "Error: send amount_cents", isError: true },
      { type: "message", role: "assistant", content: "I could not do it." },
    ]);
  });
});

describe("createEpisodeRecorder", () => {
  it("builds a parsed episode whose outcome the critic will decide", () => {
    const record = createEpisodeRecorder({ ids: createSequentialIds("ep"), clock: createManualClock("2026-02-01T00:00:00.000Z") });
    const episode = record({
      input: "Invoice ACME",
      trajectory: [{ type: "message", role: "user", content: "Invoice ACME" }],
      scope: { tenant: "acme" },
      memoryVersion: 3,
      servedLessons: ["l1", "l1", "l2"],
      startedAt: "2026-01-31T23:59:59.000Z",
    });
    expect(episode).toMatchObject({
      id: "ep-1",
      memoryVersion: 3,
      servedLessons: ["l1", "l2"],
      outcome: { status: "unknown", signal: { source: "none", detail: "" } },
      endedAt: "2026-02-01T00:00:00.000Z",
    });
    expect(() => record({ ...episode, scope: { tenant: "" }, trajectory: [], servedLessons: [] })).toThrow(LessonloopError);
  });
});
