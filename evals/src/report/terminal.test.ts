import { describe, expect, it } from "vitest";
import { summarize } from "../harness/metrics.js";
import type { BenchmarkResults, EpisodeRecord } from "../harness/results.js";
import { createFixtureResults } from "./fixture-results.js";
import { ProgressBar, TERMINAL_WIDTH, formatSummary, type ProgressStream } from "./terminal.js";

function recorder(isTTY: boolean): ProgressStream & { chunks: string[] } {
  const chunks: string[] = [];
  return { chunks, isTTY, columns: 100, write: (chunk: string) => chunks.push(chunk) };
}

describe("formatSummary", () => {
  const results = createFixtureResults({ episodes: 120 });
  const text = formatSummary(results);

  it("has one block per environment with a row for every strategy", () => {
    const starts = results.environments.map((environment) => text.indexOf(`\n${environment.name} — `));
    results.environments.forEach((environment, at) => {
      expect(starts[at], environment.name).toBeGreaterThan(0);
      const block = text.slice(starts[at], starts[at + 1]);
      for (const result of environment.strategies) {
        const row = block.split("\n").find((line) => line.startsWith(`${result.strategy} `));
        expect(row, `${environment.name}/${result.strategy}`).toBeDefined();
        expect(row).toContain(`${(result.summary.successRate * 100).toFixed(1)}%`);
        expect(row).toContain(`${result.summary.badLessonsMerged}/${result.summary.lessonsMerged}`);
      }
    });
  });

  it("prints the run's parameters above the tables", () => {
    const head = text.slice(0, text.indexOf(results.environments[0]?.name ?? "?"));
    expect(head).toContain("seed 7");
    expect(head).toContain("validator.errorRate=0.1");
    expect(head).toContain("policy=majority");
  });

  it("fits a 100-column terminal with aligned columns", () => {
    for (const line of text.split("\n")) expect(line.length, line).toBeLessThanOrEqual(TERMINAL_WIDTH);
    // Every row of a table ends its success column at the same place.
    const rows = text.split("\n").filter((line) => /^(static|reflection|unvalidated|lessonloop|oracle) +\d+\.\d%/.test(line));
    expect(rows).toHaveLength(results.environments.length * 5);
    const ends = new Set(rows.map((row) => row.search(/%/)));
    expect(ends.size).toBe(1);
  });

  it("writes each drift's latency: a count, ∞ for never, – for too few episodes", () => {
    const passes = (pattern: string): EpisodeRecord[] =>
      [...pattern].map((char, index) => ({
        index,
        taskId: `t${index}`,
        kind: index < 6 ? "invoice" : "refund",
        passed: char === "1",
        reason: "",
        agent: { calls: 1, promptTokens: 10, completionTokens: 2 },
        learning: { calls: 0, promptTokens: 0, completionTokens: 0 },
        contextTokens: 0,
        memorySize: 0,
        memoryVersion: 0,
      }));
    const drifts = [
      { at: 0, change: "a", kinds: ["invoice"] },
      { at: 6, change: "b", kinds: ["refund"] },
    ];
    const episodes = passes("0111110101" + "1");
    const base = createFixtureResults({ episodes: 10 });
    const results: BenchmarkResults = {
      ...base,
      environments: [
        {
          name: "hand-made",
          description: "d",
          drifts: [...drifts, { at: 10, change: "c", kinds: ["refund"] }],
          strategies: [
            {
              strategy: "static",
              episodes,
              lessons: [],
              rollbacks: [],
              regressions: [],
              summary: summarize({ episodes, drifts: [...drifts, { at: 10, change: "c", kinds: ["refund"] }], wallMs: 5 }),
            },
          ],
        },
      ],
    };
    const row = formatSummary(results).split("\n").find((line) => line.startsWith("static "));
    expect(row).toMatch(/ 1, ∞, – /);
  });
});

describe("ProgressBar", () => {
  it("prints sparse lines when not on a terminal", () => {
    const stream = recorder(false);
    let now = 0;
    const bar = new ProgressBar({ stream, now: () => now });
    bar.start(1000);
    for (let i = 0; i < 1000; i += 1) {
      now += 10;
      bar.tick(i < 500 ? "api-drift · static" : "policy-shift · oracle");
    }
    bar.done();
    const lines = stream.chunks.join("").split("\n").filter(Boolean);
    expect(lines[0]).toBe("running 1000 episodes");
    expect(lines.at(-1)).toBe("done: 1000 episodes in 10.0 s");
    expect(lines.length).toBeLessThanOrEqual(11);
    expect(lines).toContain(" 50% 500/1000 episodes · 5.0 s, ~5.0 s left · api-drift · static");
    expect(stream.chunks.join("")).not.toContain("\r");
  });

  it("prints a line per step even when one tick covers several steps", () => {
    const stream = recorder(false);
    const bar = new ProgressBar({ stream, now: () => 0, lines: 4 });
    bar.start(8);
    bar.tick("x", 8);
    bar.done();
    expect(stream.chunks.join("").split("\n").filter(Boolean)).toEqual(["running 8 episodes", "done: 8 episodes in 0 ms"]);
  });

  it("redraws one line in place on a terminal, at most once per redraw interval", () => {
    const stream = recorder(true);
    let now = 0;
    const bar = new ProgressBar({ stream, now: () => now, redrawMs: 100 });
    bar.start(100);
    for (let i = 0; i < 100; i += 1) {
      now += 10;
      bar.tick("api-drift · lessonloop");
    }
    bar.done();
    const output = stream.chunks.join("");
    expect(output.split("\n")).toHaveLength(2);
    // start, one redraw each 100 ms over 1 s, and done.
    expect(stream.chunks.filter((chunk) => chunk.startsWith("\r")).length).toBeLessThanOrEqual(12);
    const last = stream.chunks.filter((chunk) => chunk.startsWith("\r")).at(-1) ?? "";
    expect(last).toContain("100% 100/100 episodes");
    expect(last).toContain("api-drift · lessonloop");
    expect(last.replace(/\x1b\[K$/, "").length).toBeLessThanOrEqual(100);
  });

  it("rejects a total that is not a whole number", () => {
    expect(() => new ProgressBar({ stream: recorder(false) }).start(-1)).toThrow(RangeError);
  });
});
