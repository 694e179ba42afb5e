import type { EpisodeInput } from "@lessonloop/core";

const TIME = "2026-01-01T00:00:00.000Z";

/** A successful refund episode in tenant "acme"; override what the test is about. */
export function episodeFixture(id: string, overrides: Partial<EpisodeInput> = {}): EpisodeInput {
  return {
    id,
    input: "Refund order 42, it was charged twice",
    trajectory: [
      { type: "message", role: "user", content: "Refund order 42, it was charged twice" },
      { type: "tool_call", id: "c1", name: "lookup_order", args: { id: 42 } },
      { type: "tool_result", callId: "c1", name: "lookup_order", content: '{"charges":[1999,1999]}', isError: false },
      { type: "message", role: "assistant", content: "Refunded the duplicate charge of 19.99." },
    ],
    outcome: { status: "success", signal: { source: "user_feedback", detail: "thanks" } },
    scope: { tenant: "acme" },
    memoryVersion: 1,
    startedAt: TIME,
    ...overrides,
  };
}
