import type { EpisodeInput } from "../episode.js";

/**
 * A refund the tool rejected because the amount was not in cents; with
 * `retried` (the default) the agent retried in cents and succeeded, else it
 * gave up. Override any field the test is about.
 */
export function refundEpisodeFixture({ retried = true, ...overrides }: Partial<EpisodeInput> & { retried?: boolean } = {}): EpisodeInput {
  const trajectory: EpisodeInput["trajectory"] = [
    { type: "message", role: "user", content: "Refund 12.50 EUR on order A-17." },
    { type: "tool_call", id: "c1", name: "refund", args: { order: "A-17", amount: 12.5 } },
    { type: "tool_result", callId: "c1", name: "refund", content: "400: amount must be an integer number of cents", isError: true },
  ];
  if (retried) {
    trajectory.push(
      { type: "tool_call", id: "c2", name: "refund", args: { order: "A-17", amount: 1250 } },
      { type: "tool_result", callId: "c2", name: "refund", content: "Refunded 1250 cents.", isError: false },
      { type: "message", role: "assistant", content: "Refunded 12.50 EUR on A-17." },
    );
  } else {
    trajectory.push({ type: "message", role: "assistant", content: "Sorry, the refund failed." });
  }
  return {
    id: "ep-1",
    input: "Refund 12.50 EUR on order A-17.",
    trajectory,
    outcome: { status: "unknown", signal: { source: "none", detail: "" } },
    scope: { tenant: "acme", user: "ana", agent: "billing" },
    memoryVersion: 3,
    startedAt: "2026-03-01T09:59:00.000Z",
    ...overrides,
  };
}
