import { LessonloopError } from "@lessonloop/core";
import { describe, expect, it } from "vitest";
import type { DriftPoint } from "../environments/environment.js";
import {
  adaptationAfterDrifts,
  meanAcross,
  memorySizeOverTime,
  rollingMean,
  rollingSuccess,
  servedStale,
  summarize,
  summarizeLatency,
} from "./metrics.js";
import type { EpisodeRecord, LessonEvent } from "./results.js";

const noUsage = { calls: 0, promptTokens: 0, completionTokens: 0 };

function episode(index: number, kind: string, passed: boolean, more: Partial<EpisodeRecord> = {}): EpisodeRecord {
  return {
    index,
    taskId: `t#${index}`,
    kind,
    passed,
    reason: passed ? "ok" : "wrong",
    agent: noUsage,
    learning: noUsage,
    contextTokens: 0,
    memorySize: 0,
    memoryVersion: 0,
    ...more,
  };
}

/** A stream of one kind from a pass/fail string: `"11x0"` → pass, pass, fail, fail. */
function stream(pattern: string, kind = "invoice", from = 0): EpisodeRecord[] {
  return [...pattern].map((char, offset) => episode(from + offset, kind, char === "1"));
}

const drift = (at: number, kinds: string[], change = `change at ${at}`): DriftPoint => ({ at, kinds, change });

function lesson(at: number, grade: LessonEvent["grade"], outcome: LessonEvent["outcome"]): LessonEvent {
  return { at, lessonId: `l${at}-${grade}-${outcome}`, text: "t", scope: "acme", grade, outcome };
}

describe("adaptationAfterDrifts", () => {
  it("is empty when the environment never drifts", () => {
    expect(adaptationAfterDrifts(stream("1010"), [])).toEqual([]);
  });

  it("counts 0 when the first three affected episodes after the drift pass", () => {
    const episodes = stream("0000111");
    expect(adaptationAfterDrifts(episodes, [drift(4, ["invoice"])])).toEqual([
      { driftAt: 4, change: "change at 4", episodesToRecover: 0, affectedEpisodes: 3 },
    ]);
  });

  it("counts the affected episodes before the first run of three passes", () => {
    // From index 2: fail, pass, fail, pass, pass, pass → the run starts at affected position 3.
    const episodes = stream("11010111");
    expect(adaptationAfterDrifts(episodes, [drift(2, ["invoice"])])[0]?.episodesToRecover).toBe(3);
  });

  it("is null when the window never holds three passes in a row", () => {
    const [result] = adaptationAfterDrifts(stream("1111011011"), [drift(4, ["invoice"])]);
    expect(result).toMatchObject({ episodesToRecover: null, affectedEpisodes: 6 });
  });

  it("is null with a one-episode window for a drift at the last episode", () => {
    const [result] = adaptationAfterDrifts(stream("1111111"), [drift(6, ["invoice"])]);
    expect(result).toEqual({ driftAt: 6, change: "change at 6", episodesToRecover: null, affectedEpisodes: 1 });
  });

  it("counts only episodes of the drift's kinds", () => {
    // Interleaved: invoices fail twice then pass; refunds always pass and must not count.
    const episodes = [
      episode(0, "invoice", false),
      episode(1, "refund", true),
      episode(2, "invoice", false),
      episode(3, "refund", true),
      episode(4, "invoice", true),
      episode(5, "refund", true),
      episode(6, "invoice", true),
      episode(7, "invoice", true),
    ];
    expect(adaptationAfterDrifts(episodes, [drift(0, ["invoice"])])[0]).toMatchObject({
      episodesToRecover: 2,
      affectedEpisodes: 5,
    });
  });

  it("keeps two drifts on different kinds apart, each window running to the end", () => {
    const episodes = [
      episode(0, "invoice", false),
      episode(1, "refund", true),
      episode(2, "invoice", true),
      episode(3, "refund", false),
      episode(4, "invoice", true),
      episode(5, "refund", false),
      episode(6, "invoice", true),
      episode(7, "refund", true),
      episode(8, "refund", true),
      episode(9, "refund", true),
    ];
    const result = adaptationAfterDrifts(episodes, [drift(3, ["refund"]), drift(0, ["invoice"])]);
    expect(result).toEqual([
      { driftAt: 0, change: "change at 0", episodesToRecover: 1, affectedEpisodes: 4 },
      { driftAt: 3, change: "change at 3", episodesToRecover: 2, affectedEpisodes: 5 },
    ]);
  });

  it("ends a drift's window at the next drift that touches one of its kinds", () => {
    // The run of passes from index 4 on belongs to the second drift, not to the first.
    const episodes = stream("00011111");
    const result = adaptationAfterDrifts(episodes, [drift(0, ["invoice", "refund"]), drift(4, ["invoice"])]);
    expect(result).toEqual([
      { driftAt: 0, change: "change at 0", episodesToRecover: null, affectedEpisodes: 4 },
      { driftAt: 4, change: "change at 4", episodesToRecover: 0, affectedEpisodes: 4 },
    ]);
  });

  it("measures a drift that names users on those users' episodes only", () => {
    // dana's dates drift at 0; ana's at 4 must not end dana's window; ben always passes and must not count.
    const episodes = [
      episode(0, "reply", false, { user: "dana" }),
      episode(1, "reply", true, { user: "ben" }),
      episode(2, "reply", true, { user: "ben" }),
      episode(3, "reply", true, { user: "ben" }),
      episode(4, "reply", false, { user: "ana" }),
      episode(5, "reply", true, { user: "dana" }),
      episode(6, "reply", true, { user: "ana" }),
      episode(7, "reply", true, { user: "dana" }),
      episode(8, "reply", true, { user: "ana" }),
      episode(9, "reply", true, { user: "dana" }),
    ];
    const drifts = [
      { at: 0, change: "dana", kinds: ["reply"], users: ["dana"] },
      { at: 4, change: "ana", kinds: ["reply"], users: ["ana"] },
    ];
    expect(adaptationAfterDrifts(episodes, drifts)).toEqual([
      { driftAt: 0, change: "dana", episodesToRecover: 1, affectedEpisodes: 4 },
      { driftAt: 4, change: "ana", episodesToRecover: null, affectedEpisodes: 3 },
    ]);
    // A drift for every user on the same kind does end dana's window.
    const [dana] = adaptationAfterDrifts(episodes, [drifts[0] as DriftPoint, drift(5, ["reply"])]);
    expect(dana).toMatchObject({ episodesToRecover: null, affectedEpisodes: 1 });
  });

  it("refuses a drift that names users when the episodes record none", () => {
    const error = (() => {
      try {
        return adaptationAfterDrifts(stream("01"), [{ at: 0, change: "c", kinds: ["invoice"], users: ["ana"] }]);
      } catch (caught) {
        return caught;
      }
    })();
    expect(LessonloopError.isInstance(error, "invalid_input")).toBe(true);
    expect((error as Error).message).toContain("EpisodeRecord.user");
  });

  it("reads the records in stream order whatever order they arrive in", () => {
    const episodes = stream("0111").reverse();
    expect(adaptationAfterDrifts(episodes, [drift(0, ["invoice"])])[0]?.episodesToRecover).toBe(1);
  });

  it("has an empty window for an empty stream", () => {
    expect(adaptationAfterDrifts([], [drift(0, ["invoice"])])).toEqual([
      { driftAt: 0, change: "change at 0", episodesToRecover: null, affectedEpisodes: 0 },
    ]);
  });
});

describe("rollingSuccess", () => {
  it("averages the trailing window, shorter at the start", () => {
    const curve = rollingSuccess(stream("1100"), { window: 2 });
    expect(curve).toEqual([
      { index: 0, value: 1 },
      { index: 1, value: 1 },
      { index: 2, value: 0.5 },
      { index: 3, value: 0 },
    ]);
  });

  it("matches a direct average at every point of a long stream", () => {
    const episodes = stream("1101000111011110010101111100001111");
    const window = 5;
    const curve = rollingSuccess(episodes, { window });
    curve.forEach((point, position) => {
      const slice = episodes.slice(Math.max(0, position - window + 1), position + 1);
      expect(point.value).toBeCloseTo(slice.filter((e) => e.passed).length / slice.length, 10);
    });
  });

  it("rejects a window below one episode", () => {
    expect(() => rollingSuccess(stream("1"), { window: 0 })).toThrow(RangeError);
  });
});

describe("rollingMean", () => {
  it("averages the trailing window, shorter at the start", () => {
    expect(rollingMean([1, 0, 0.5, 1, 0], { window: 2 })).toEqual([
      { index: 0, value: 1 },
      { index: 1, value: 0.5 },
      { index: 2, value: 0.25 },
      { index: 3, value: 0.75 },
      { index: 4, value: 0.5 },
    ]);
  });

  it("is the rolling success of a single seed's passes", () => {
    const episodes = stream("1101001110110");
    const passes = episodes.map((e) => (e.passed ? 1 : 0));
    const rolling = rollingMean(passes, { window: 4 });
    rollingSuccess(episodes, { window: 4 }).forEach((point, at) => expect(rolling[at]?.value).toBeCloseTo(point.value, 12));
  });

  it("rejects a window below one value", () => {
    expect(() => rollingMean([1], { window: 0 })).toThrow(RangeError);
  });
});

describe("meanAcross", () => {
  it("averages each position over the series", () => {
    expect(meanAcross([[1, 0, 1], [0, 0, 1], [1, 1, 1], [0, 0, 0]])).toEqual([0.5, 0.25, 0.75]);
    expect(meanAcross([])).toEqual([]);
  });

  it("refuses series of different lengths", () => {
    expect(() => meanAcross([[1, 2], [1]])).toThrow(RangeError);
  });
});

describe("summarizeLatency", () => {
  const adaptation = (episodesToRecover: number | null, affectedEpisodes = 10) => ({ driftAt: 0, change: "c", episodesToRecover, affectedEpisodes });

  it("takes the median of recovered drifts and counts the others apart", () => {
    // Recovered 4, 0, 7, 2 → median (2 + 4) / 2 = 3; two never recovered; one window too short to tell.
    const summary = summarizeLatency([adaptation(4), adaptation(null), adaptation(0), adaptation(null, 2), adaptation(7), adaptation(null, 9), adaptation(2)]);
    expect(summary).toEqual({ median: 3, recovered: 4, neverRecovered: 2, tooFewToTell: 1 });
  });

  it("has no median when nothing recovered", () => {
    expect(summarizeLatency([adaptation(null), adaptation(null)])).toEqual({ median: null, recovered: 0, neverRecovered: 2, tooFewToTell: 0 });
    expect(summarizeLatency([])).toEqual({ median: null, recovered: 0, neverRecovered: 0, tooFewToTell: 0 });
  });
});

describe("memorySizeOverTime", () => {
  it("follows the memory size in stream order", () => {
    const episodes = [episode(1, "a", true, { memorySize: 2 }), episode(0, "a", true, { memorySize: 1 })];
    expect(memorySizeOverTime(episodes)).toEqual([
      { index: 0, value: 1 },
      { index: 1, value: 2 },
    ]);
  });
});

describe("servedStale", () => {
  const drifts: DriftPoint[] = [drift(30, ["invoice"]), { at: 60, kinds: ["reply"], users: ["ana"], change: "ana's dates" }];

  it("is stale when served at or after a drift of its kind that came after its run", () => {
    expect(servedStale({ index: 10, kind: "invoice" }, 29, drifts)).toBe(false);
    expect(servedStale({ index: 10, kind: "invoice" }, 30, drifts)).toBe(true);
    // Recorded after the drift: the world it showed still holds.
    expect(servedStale({ index: 30, kind: "invoice" }, 90, drifts)).toBe(false);
    expect(servedStale({ index: 10, kind: "shipment" }, 90, drifts)).toBe(false);
  });

  it("counts a drift that names users only for an example of one of them", () => {
    expect(servedStale({ index: 10, kind: "reply", user: "ana" }, 60, drifts)).toBe(true);
    expect(servedStale({ index: 10, kind: "reply", user: "ben" }, 60, drifts)).toBe(false);
    expect(servedStale({ index: 10, kind: "reply" }, 60, drifts)).toBe(false);
  });
});

describe("summarize", () => {
  it("sums the examples served and stale-served, and splits the context's tokens, over the episodes that could serve them", () => {
    const episodes = [
      episode(0, "invoice", true, { examples: { served: 2, staleServed: 1, lessonTokens: 40, exampleTokens: 100 } }),
      episode(1, "invoice", true, { examples: { served: 1, staleServed: 0, lessonTokens: 20, exampleTokens: 50 } }),
    ];
    expect(summarize({ episodes, wallMs: 1 }).examples).toEqual({ served: 3, staleServed: 1, lessonTokensPerEpisode: 30, exampleTokensPerEpisode: 75 });
    expect(summarize({ episodes: [episode(0, "invoice", true)], wallMs: 1 })).not.toHaveProperty("examples");
  });

  it("pools served recall over the episodes that measured it, and leaves it out where none did", () => {
    const measured = [
      episode(0, "invoice", true, { recall: { applicable: 0, served: 0 } }),
      episode(1, "invoice", true, { recall: { applicable: 3, served: 2 } }),
      episode(2, "invoice", false, { recall: { applicable: 1, served: 1 } }),
    ];
    expect(summarize({ episodes: measured, wallMs: 1 }).recall).toEqual({ applicable: 4, served: 3 });
    expect(summarize({ episodes: [episode(0, "invoice", true)], wallMs: 1 })).not.toHaveProperty("recall");
  });

  it("computes every figure of a hand-made stream", () => {
    const episodes = [
      episode(0, "invoice", true, {
        agent: { calls: 2, promptTokens: 100, completionTokens: 20 },
        contextTokens: 0,
        memorySize: 0,
      }),
      episode(1, "invoice", false, {
        agent: { calls: 3, promptTokens: 150, completionTokens: 30 },
        learning: { calls: 5, promptTokens: 400, completionTokens: 100 },
        contextTokens: 10,
        memorySize: 1,
      }),
      episode(2, "refund", true, {
        agent: { calls: 1, promptTokens: 80, completionTokens: 10 },
        contextTokens: 20,
        memorySize: 1,
      }),
      episode(3, "invoice", true, {
        agent: { calls: 2, promptTokens: 110, completionTokens: 20 },
        contextTokens: 30,
        memorySize: 0,
      }),
    ];
    const summary = summarize({
      episodes,
      lessons: [
        lesson(1, "correct", "merged"),
        lesson(1, "incorrect", "merged"),
        lesson(2, "incorrect", "rejected"),
        lesson(2, "correct", "rejected"),
        lesson(3, "incorrect", "rejected"),
        lesson(3, "incorrect", "parked"),
      ],
      rollbacks: [{ at: 3, fromVersion: 2, toVersion: 1, reason: "drop" }],
      regressions: [
        { at: 1, lessonId: "l", probeTaskId: "p1", reason: "r" },
        { at: 1, lessonId: "l", probeTaskId: "p2", reason: "r" },
      ],
      drifts: [drift(1, ["invoice"])],
      wallMs: 1234,
    });
    expect(summary).toEqual({
      successRate: 0.75,
      adaptation: [{ driftAt: 1, change: "change at 1", episodesToRecover: null, affectedEpisodes: 2 }],
      regressions: 2,
      lessonsMerged: 2,
      badLessonsMerged: 1,
      lessonsRejected: 3,
      badLessonsRejected: 2,
      rollbacks: 1,
      modelCallsPerEpisode: (2 + 3 + 5 + 1 + 2) / 4,
      tokensPerEpisode: (120 + 180 + 500 + 90 + 130) / 4,
      contextTokensPerEpisode: 15,
      finalMemorySize: 0,
      wallMs: 1234,
    });
  });

  it("gives zeros, not NaN, for an empty stream", () => {
    expect(summarize({ episodes: [], wallMs: 0 })).toEqual({
      successRate: 0,
      adaptation: [],
      regressions: 0,
      lessonsMerged: 0,
      badLessonsMerged: 0,
      lessonsRejected: 0,
      badLessonsRejected: 0,
      rollbacks: 0,
      modelCallsPerEpisode: 0,
      tokensPerEpisode: 0,
      contextTokensPerEpisode: 0,
      finalMemorySize: 0,
      wallMs: 0,
    });
  });

  it("takes the final memory size from the last episode of the stream, not the last record", () => {
    const episodes = [episode(1, "a", true, { memorySize: 4 }), episode(0, "a", true, { memorySize: 9 })];
    expect(summarize({ episodes, wallMs: 1 }).finalMemorySize).toBe(4);
  });

  it("rejects a negative wall time with a typed error", () => {
    const error = (() => {
      try {
        return summarize({ episodes: [], wallMs: -1 });
      } catch (caught) {
        return caught;
      }
    })();
    expect(LessonloopError.isInstance(error, "invalid_input")).toBe(true);
    expect((error as Error).message).toContain("wallMs");
  });
});
