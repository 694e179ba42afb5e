import { describe, expect, it } from "vitest";
import { createFixtureMultiSeedResults } from "../tests/fixtures/results.js";
import { formatPointsInterval, formatRateInterval, formatSeedsWon } from "./summary-columns.js";
import { ProgressBar, TERMINAL_WIDTH, formatSummary, type ProgressStream } from "./terminal.js";

function recorder(isTTY: boolean): ProgressStream & { chunks: string[] } {
  const chunks: string[] = [];
  return { chunks, isTTY, columns: 100, write: (chunk: string) => chunks.push(chunk) };
}

/** The lines of one environment's block. */
function block(text: string, name: string, next: string | undefined): string[] {
  const start = text.indexOf(`\n${name} — `);
  return text.slice(start, next === undefined ? undefined : text.indexOf(`\n${next} — `)).split("\n");
}

describe("formatSummary", () => {
  const results = createFixtureMultiSeedResults({ seeds: [1, 2, 3], episodes: 120 });
  const text = formatSummary(results);

  it("has one block per environment with a row for every strategy: mean success with its interval, summed counts", () => {
    results.environments.forEach((environment, at) => {
      const lines = block(text, environment.name, results.environments[at + 1]?.name);
      expect(lines.length, environment.name).toBeGreaterThan(3);
      for (const entry of environment.strategies) {
        const row = lines.find((line) => line.startsWith(`${entry.strategy} `));
        expect(row, `${environment.name}/${entry.strategy}`).toBeDefined();
        expect(row).toContain(formatRateInterval(entry.aggregate.success));
        expect(row).toContain(`${entry.aggregate.wrongMerged}/${entry.aggregate.merged}`);
      }
    });
  });

  it("prints the paired comparisons with their interval and seeds won", () => {
    for (const [at, environment] of results.environments.entries()) {
      const lines = block(text, environment.name, results.environments[at + 1]?.name);
      for (const pair of environment.paired) {
        const line = lines.find((candidate) => candidate.includes(`${pair.strategy} − ${pair.baseline}`));
        expect(line).toContain(formatPointsInterval(pair));
        expect(line).toContain(formatSeedsWon(pair));
      }
      expect(environment.paired.map((pair) => pair.baseline)).toEqual(["unvalidated", "static"]);
    }
  });

  it("lists each learner's wrong merges, regressions and rollbacks seed by seed, with their total", () => {
    const [environment] = results.environments;
    const lines = block(text, environment?.name ?? "?", results.environments[1]?.name);
    const unvalidated = environment?.strategies.find((entry) => entry.strategy === "unvalidated");
    const wrong = unvalidated?.seeds.map((run) => run.summary.badLessonsMerged) ?? [];
    const row = lines.find((line) => /^ {2}unvalidated +wrong merged/.test(line));
    expect(row?.replace(/^.*wrong merged/, "").trim().split(/ +/).map(Number)).toEqual([...wrong, wrong.reduce((sum, n) => sum + n, 0)]);
    expect(lines.some((line) => /^ +rollbacks/.test(line))).toBe(true);
    // Strategies that never learn have no per-seed rows.
    expect(lines.some((line) => /^ {2}static +wrong merged/.test(line))).toBe(false);
  });

  it("prints the seeds, the run's parameters and how the figures are made above the tables", () => {
    const head = text.slice(0, text.indexOf(results.environments[0]?.name ?? "?"));
    expect(head).toContain("3 seeds (1–3)");
    expect(head).toContain("validator.errorRate=0.1");
    expect(head).toContain("mean over 3 seeds [95% confidence interval, Student t, df 2]");
  });

  it("fits a 100-column terminal with aligned columns, for 3 seeds and for 12", () => {
    for (const summary of [text, formatSummary(createFixtureMultiSeedResults({ seeds: Array.from({ length: 12 }, (_, at) => at + 1), episodes: 40 }))]) {
      for (const line of summary.split("\n")) expect(line.length, line).toBeLessThanOrEqual(TERMINAL_WIDTH);
      const rows = summary.split("\n").filter((line) => /^(static|reflection|unvalidated|lessonloop|oracle) +\d+\.\d%/.test(line));
      expect(rows).toHaveLength(results.environments.length * 5);
      expect(new Set(rows.map((row) => row.search(/\]/))).size).toBe(1);
    }
  });

  it("warns that one seed has no interval, and shows none", () => {
    const one = formatSummary(createFixtureMultiSeedResults({ seeds: [4], episodes: 40 }));
    expect(one).toContain("ONE SEED: no confidence interval");
    const rows = one.split("\n").filter((line) => /^(static|lessonloop) +\d/.test(line));
    expect(rows.length).toBeGreaterThan(0);
    for (const row of rows) expect(row).not.toContain("[");
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

  it("prints a note on its own line, and redraws the bar under it on a terminal", () => {
    const log = recorder(false);
    const plain = new ProgressBar({ stream: log, now: () => 0 });
    plain.start(10);
    plain.note("seed 3 done: 1.0 s");
    expect(log.chunks.join("")).toBe("running 10 episodes\nseed 3 done: 1.0 s\n");

    const terminal = recorder(true);
    const bar = new ProgressBar({ stream: terminal, now: () => 0 });
    bar.start(10);
    bar.note("seed 3 done");
    const [note, redraw] = terminal.chunks.slice(-2);
    expect(note).toBe("\r\x1b[Kseed 3 done\n");
    expect(redraw).toMatch(/^\r.*0\/10 episodes/);
  });

  it("rejects a total that is not a whole number", () => {
    expect(() => new ProgressBar({ stream: recorder(false) }).start(-1)).toThrow(RangeError);
  });
});
