import { describe, expect, it } from "vitest";
import { latency, repeated } from "./machine-probe.js";
import { GENERATED_BY_PERF, type HotPathSize, type PerfResults, type ValidationRun } from "./perf-results.js";
import { evaluateTargets } from "./perf-report.js";

const flat = (value: number) => ({ median: value, min: value, max: value });
const run = (validators: number, storedCases: number, callsPerLesson: number, ratio: number): ValidationRun => ({
  validators,
  storedCases,
  callsPerLesson,
  wallMs: flat(1_000 * ratio),
  idealMs: 1_000,
  ratio: flat(ratio),
  decision: "approved",
});

const latencyOf = (p50: number) => ({ p50: flat(p50), p99: flat(p50 * 2), samplesPerRepeat: 10 });
const memory = { rssMiB: 1, peakMiB: 1 };
function hotPathAt(lessons: number, firstStepMs: number, inMemoryStoreMs: number, floorMs: number): HotPathSize {
  return {
    lessons,
    fillSeconds: 1,
    firstStep: latencyOf(firstStepMs),
    pinnedStep: latencyOf(0.3),
    searchOnly: latencyOf(firstStepMs),
    exactFloor: latencyOf(floorMs),
    firstStepVsFloor: firstStepMs / floorMs,
    liveIndex: { lessons, loadSeconds: 1, vectorMiB: 1, heapMiB: 1 },
    inMemoryStore: latencyOf(inMemoryStoreMs),
    speedupVsInMemoryStore: inMemoryStoreMs / firstStepMs,
    ourTokens: { p50: 100, max: 200 },
    allLessonsTokens: 1_000,
    processMemory: memory,
    chromaMemory: memory,
    load: 1,
  };
}

function resultsWith(overrides: Partial<Omit<PerfResults, "targets">>): Omit<PerfResults, "targets"> {
  return {
    generated: GENERATED_BY_PERF,
    measuredAt: "2026-01-01T00:00:00.000Z",
    command: "pnpm bench:perf",
    durationSeconds: 1,
    machine: { node: "v20", platform: "linux-x64", cpus: 2, cpuModel: "cpu", totalMemoryMiB: 1 },
    loadBefore: [0, 0, 0],
    loadAfter: [0, 0, 0],
    parameters: {},
    hotPath: [],
    validation: { latencyMs: 100, concurrency: 4, runs: [] },
    snapshots: { sizes: [], rollbackRatio: 1 },
    growth: { status: "skipped", reason: "not run" },
    ...overrides,
  };
}

describe("repeated figures", () => {
  it("reports each repeat's percentile, then their median and spread", () => {
    const fast = Array.from({ length: 100 }, (_, i) => i + 1);
    const slow = fast.map((value) => value * 3);
    const middle = fast.map((value) => value * 2);
    const figures = latency([fast, slow, middle]);
    expect(figures.p50).toEqual({ median: 102, min: 51, max: 153 });
    expect(figures.samplesPerRepeat).toBe(100);
    expect(repeated([5, 1, 9])).toEqual({ median: 5, min: 1, max: 9 });
  });
});

describe("evaluateTargets", () => {
  it("fails flat calls per lesson when the count grows with the stored cases", () => {
    const targets = evaluateTargets(resultsWith({ validation: { latencyMs: 100, concurrency: 4, runs: [run(5, 10_000, 120, 1.1), run(5, 100, 90, 1.1)] } }), 600);
    const calls = targets.find((target) => target.name.startsWith("calls per lesson"));
    expect(calls).toMatchObject({ measured: "90 / 120", met: false });
  });

  it("fails a validation run slower than 1.2× the ideal and a rollback ratio above 1.3", () => {
    const targets = evaluateTargets(
      resultsWith({ validation: { latencyMs: 100, concurrency: 4, runs: [run(3, 100, 54, 1.3)] }, snapshots: { sizes: [], rollbackRatio: 1.4 } }),
      600,
    );
    expect(targets.find((target) => target.name === "wall / ideal, N = 3")?.met).toBe(false);
    expect(targets.find((target) => target.section === "snapshots")?.met).toBe(false);
  });

  it("holds the first step to InMemoryStore at 1k, 10k and 100k lessons and to the exact floor up to 10k", () => {
    const targets = evaluateTargets(resultsWith({ hotPath: [hotPathAt(1_000, 0.5, 0.7, 0.2), hotPathAt(10_000, 4, 10, 0.8), hotPathAt(100_000, 5, 100, 8)] }), 600);
    const met = (name: string) => targets.find((target) => target.name === name)?.met;
    expect(met("first step vs InMemoryStore at 1,000")).toBe(true);
    expect(met("first step vs InMemoryStore at 10,000")).toBe(false); // 2.5× against ≥ 3×
    expect(met("first step vs InMemoryStore at 100,000")).toBe(true);
    expect(met("first step / exact in-process floor at 1,000")).toBe(true);
    expect(met("first step / exact in-process floor at 10,000")).toBe(false); // 5× against ≤ 4×
    expect(targets.some((target) => target.name === "first step / exact in-process floor at 100,000")).toBe(false);
  });
});
