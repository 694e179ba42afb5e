import { describe, expect, it } from "vitest";
import { runQuickstart } from "./quickstart.js";

describe("quickstart", () => {
  it("starts its own Chroma server, commits, searches in scope, rolls back and reports it", async () => {
    const lines: string[] = [];
    const result = await runQuickstart({ print: (line) => lines.push(line) });

    expect(result.versions).toEqual({ afterCommits: 2, afterRollback: 3 });
    // Before the rollback the wrong lesson is live; after it the original one is back.
    expect(result.found.beforeRollback).toEqual(["invoice-euros", "ana-dates"]);
    expect(result.found.afterRollback).toEqual(["invoice-cents", "ana-dates"]);
    expect(lines[0]).toMatch(/^Started Chroma at http:\/\/127\.0\.0\.1:\d+/);
    // Another tenant sees none of acme's lessons.
    expect(lines.join("\n")).toMatch(/as globex:\n {4}\(no lessons\)/);
    expect(lines.join("\n")).toContain("v3 rollback (restores 1) by quickstart");
  });
});
