import { randomUUID } from "node:crypto";
import { describe, expect, inject, it } from "vitest";
import { runDropInReactAgent } from "./drop-in-react-agent.js";
// Declares the `chromaUrl` the root vitest setup provides.
import type {} from "@lessonloop/chroma/testing";

// createAgent + lessonloopMiddleware (the default), and the legacy createReactAgent + withLearning.
describe.each(["createAgent", "createReactAgent"] as const)("drop-in-react-agent on %s", (api) => {
  it("keeps failing as it is, and recovers after the first failure with lessonloop dropped in", async () => {
    const lines: string[] = [];
    const result = await runDropInReactAgent({
      api,
      chromaUrl: inject("chromaUrl"),
      memoryName: `drop-in-${randomUUID().slice(0, 8)}`,
      print: (line) => lines.push(line),
    });
    const statuses = (column: "static" | "learning") => result.rows.map((row) => row[column].status);

    // Tasks 1–3 run on the old API; invoices fail after it changes (task 5 is a refund, unchanged).
    expect(statuses("static")).toEqual(["ok", "ok", "ok", "failed", "ok", "failed", "failed", "failed"]);
    expect(statuses("learning")).toEqual(["ok", "ok", "ok", "failed", "ok", "ok", "ok", "ok"]);
    expect(result.rows[3]?.static.detail).toContain('create_invoice no longer accepts "amount"');
    // The invoices after the first failure succeed because the lesson was in the prompt.
    for (const index of [5, 6, 7]) expect(result.rows[index]?.learning.lessonsServed).toHaveLength(1);
    expect(result.rows[5]?.learning.detail).toBe("Invoice INV-1003 for Umbrella: 250.00 EUR");

    const [lesson, ...others] = result.lessons;
    expect(others).toEqual([]);
    expect(lesson).toMatchObject({ learnedAfterTask: 4, version: 1, decision: "approved" });
    expect(lesson?.guidance).toContain("amount_cents");
    expect(lesson?.votes.map((vote) => vote.decision)).toEqual(["approve", "approve", "approve"]);
    expect(lesson?.votes[0]?.evidence).toEqual([expect.objectContaining({ passedWithout: false, passedWith: true })]);
    expect(result.history.map((entry) => [entry.version, entry.kind])).toEqual([
      [0, "genesis"],
      [1, "commit"],
    ]);
    expect(result.history[1]?.reason).toContain(`Merge lesson "${lesson?.id}"`);
    expect(result.totals).toEqual({ static: 4, learning: 7, tasks: 8 });

    const printed = lines.join("\n");
    expect(printed).toContain("Succeeded: as it is 4/8, with lessonloop 7/8.");
    expect(printed).toMatch(/learned after task 4, merged as memory v1\):\n {2}when: .*invoice.*\n {2}do: {3}.*amount_cents/);
  });
});
