import { InMemoryLessonMemory, InMemoryOutcomeLedger, LessonloopError, createLexicalEmbedder, type Scope } from "@lessonloop/core";
import { lessonFixture } from "@lessonloop/core/conformance";
import { SnapshotSchema, decodeRecord } from "@lessonloop/core/internal";
import { createManualClock, createSeededRandom, patchMemory, type SeededRandom } from "@lessonloop/core/testing";
import { describe, expect, it } from "vitest";
import {
  createRegressionMonitor,
  evaluateRegression,
  regressionEvidenceOf,
  regressionLook,
  type RegressionCheck,
  type RegressionMonitorParams,
  type RegressionRevert,
} from "./regression-monitor.js";

const ACME: Scope = { tenant: "acme" };

/** Memory at v2: v1 merged `steady`, v2 merged `suspect` on top of it. */
async function mergedMemory(suspectScope: Scope = ACME) {
  const clock = createManualClock();
  const memory = new InMemoryLessonMemory({ embedder: createLexicalEmbedder(), clock });
  await memory.commit({ add: [lessonFixture("steady")], reason: "first lesson", author: "tester" });
  await memory.commit({ add: [lessonFixture("suspect", { scope: suspectScope })], reason: "second lesson", author: "tester" });
  return { memory, clock };
}

async function setup(params: Partial<RegressionMonitorParams> = {}, suspectScope?: Scope) {
  const { memory, clock } = await mergedMemory(suspectScope);
  const ledger = new InMemoryOutcomeLedger();
  const events: RegressionRevert[] = [];
  const monitor = createRegressionMonitor({ memory, ledger, onRevert: (event) => void events.push(event), ...params });
  let episode = 0;
  /** One outcome served from `version`, successful with probability `rate`. */
  const outcome = (random: SeededRandom, version: number, rate: number, scope: Scope = ACME) => ({
    episodeId: `episode-${episode++}`,
    scope,
    memoryVersion: version,
    servedLessons: version === 2 ? ["steady", "suspect"] : ["steady"],
    status: random.chance(rate) ? ("success" as const) : ("failure" as const),
    recordedAt: clock.now().toISOString(),
  });
  return { memory, ledger, monitor, events, outcome };
}

/** Feeds `count` outcomes one at a time through `observe`; returns every check. */
async function stream(run: Awaited<ReturnType<typeof setup>>, random: SeededRandom, version: number, rate: number, count: number, scope?: Scope) {
  const checks: RegressionCheck[] = [];
  for (let i = 0; i < count; i++) checks.push(await run.monitor.observe(run.outcome(random, version, rate, scope)));
  return checks;
}

describe("evaluateRegression", () => {
  const counts = (version: number, successes: number, failures: number) => ({ version, successes, failures, unknown: 0 });

  it("calls a large, well-supported drop a regression", () => {
    const result = evaluateRegression({ before: counts(1, 40, 10), after: counts(2, 20, 30) });
    expect(result.decision).toBe("regressed");
    expect(result.drop).toBeCloseTo(0.4);
    expect(result.pValue).toBeLessThan(0.001);
    expect(result.look).toBe(1);
    expect(result.lookAlpha).toBeCloseTo(0.0125);
  });

  it("does not decide on fewer than minEpisodes known outcomes a side, however bad they look", () => {
    expect(evaluateRegression({ before: counts(1, 40, 0), after: counts(2, 0, 19) }).decision).toBe("too_few_episodes");
    expect(evaluateRegression({ before: counts(1, 19, 0), after: counts(2, 0, 40) }).decision).toBe("too_few_episodes");
    // Unknown outcomes are not episodes.
    expect(evaluateRegression({ before: counts(1, 40, 10), after: { version: 2, successes: 0, failures: 19, unknown: 100 } }).decision).toBe("too_few_episodes");
  });

  it("ignores drops smaller than minDrop even when significant", () => {
    const result = evaluateRegression({ before: counts(1, 9_500, 500), after: counts(2, 9_100, 900) });
    expect(result.pValue).toBeLessThan(1e-10);
    expect(result.decision).toBe("drop_too_small");
  });

  it("ignores a large observed drop that the sample cannot support", () => {
    // 80% → 64% on 25 runs a side: p ≈ 0.17.
    const result = evaluateRegression({ before: counts(1, 20, 5), after: counts(2, 16, 9) });
    expect(result.drop).toBeCloseTo(0.16);
    expect(result.decision).toBe("not_significant");
  });

  it("tests later looks at a smaller level, alpha / 2^(look+1)", () => {
    expect([19, 20, 39, 40, 79, 80, 160].map((n) => regressionLook(n, 20))).toEqual([-1, 0, 0, 1, 1, 2, 3]);
    const before = counts(1, 80, 20);
    const after = counts(2, 28, 22); // 80% → 56%, p ≈ 0.002
    expect(evaluateRegression({ before, after, look: 1 }).decision).toBe("regressed");
    expect(evaluateRegression({ before, after, look: 5 }).decision).toBe("not_significant");
  });

  it("keeps false reverts within alpha when a harmless lesson is looked at as outcomes arrive", () => {
    const random = createSeededRandom(2026);
    let falseAlarms = 0;
    const trials = 300;
    for (let trial = 0; trial < trials; trial++) {
      const rate = random.pick([0.5, 0.7, 0.8, 0.9]);
      let beforeSuccesses = 0;
      for (let i = 0; i < 100; i++) if (random.chance(rate)) beforeSuccesses++;
      const before = counts(1, beforeSuccesses, 100 - beforeSuccesses);
      let successes = 0;
      let taken = -1;
      for (let n = 1; n <= 640; n++) {
        if (random.chance(rate)) successes++;
        const look = regressionLook(n, 20);
        if (look <= taken) continue;
        taken = look;
        if (evaluateRegression({ before, after: counts(2, successes, n - successes), look }).decision === "regressed") {
          falseAlarms++;
          break;
        }
      }
    }
    expect(falseAlarms / trials).toBeLessThanOrEqual(0.05);
  });

  it("rejects thresholds that would let a single failure decide", () => {
    expect(() => evaluateRegression({ before: counts(1, 1, 0), after: counts(2, 0, 1), minEpisodes: 1 })).toThrow(/minEpisodes/);
    const error = (() => {
      try {
        evaluateRegression({ before: counts(1, 1, 0), after: counts(2, 0, 1), alpha: 1.5 });
      } catch (caught) {
        return caught;
      }
    })();
    expect(LessonloopError.isInstance(error, "invalid_input")).toBe(true);
  });
});

/** The standing of one lesson in a check. */
const standingOf = (check: RegressionCheck, lesson: string) => check.lessons.find((standing) => standing.lesson === lesson);

describe("createRegressionMonitor", () => {
  it("reverts a lesson whose runs fall from 0.8 to 0.4, once, with the evidence in history", async () => {
    const run = await setup();
    const random = createSeededRandom(7);
    await stream(run, random, 1, 0.8, 50);
    const checks = await stream(run, random, 2, 0.4, 60);

    const reverted = checks.filter((check) => check.action === "reverted");
    expect(reverted).toHaveLength(1);
    expect(run.events).toHaveLength(1);
    const [event] = run.events;
    if (event === undefined) throw new Error("no revert event");
    expect(event).toMatchObject({ lesson: "suspect", merged: 2 });
    expect(event.diff.removed.map((lesson) => lesson.id)).toEqual(["suspect"]);
    expect(event.comparison).toMatchObject({ before: { version: 1, episodes: 50 }, after: { version: 2 }, scope: ACME, decision: "regressed" });
    expect(event.comparison.after.episodes).toBeGreaterThanOrEqual(20);
    expect(event.comparison.drop).toBeGreaterThanOrEqual(0.1);
    expect(event.comparison.pValue).toBeLessThanOrEqual(event.comparison.lookAlpha);

    // The revert is the live version, a history entry written by the monitor.
    const [head] = await run.memory.history({ limit: 1 });
    expect(head).toMatchObject({ version: 3, kind: "revert", author: "regression-monitor", change: { added: [], retired: ["suspect"] } });
    expect(head?.reason).toMatch(/^Regression after lesson suspect merged at v2: success \d+\.\d% \(\d+\/\d+\) of runs served it vs \d+\.\d% \(\d+\/50\) before v2/);
    expect(head?.reason).not.toContain("\n");
    expect(head?.evidence).toEqual({ ...event.comparison, lessons: ["suspect"] });
    expect(head === undefined ? undefined : regressionEvidenceOf(head)).toEqual(event.comparison);

    // The lesson is gone from live memory but not deleted: v2 still has it; the earlier lesson stays.
    expect((await run.memory.list()).map((lesson) => lesson.id)).toEqual(["steady"]);
    expect((await run.memory.get("suspect", { version: 2 })).id).toBe("suspect");

    // Runs still served it (in flight when it was reverted) do not revert anything again.
    const after = checks.slice(checks.indexOf(reverted[0] as RegressionCheck) + 1);
    expect(after.length).toBeGreaterThan(0);
    expect(after.every((check) => check.action === "none" && standingOf(check, "suspect") === undefined)).toBe(true);
    expect(await run.memory.headVersion()).toBe(3);
  });

  it("reverts the lesson that hurt alone, after later merges of another tenant, which stay live", async () => {
    const run = await setup();
    const random = createSeededRandom(29);
    const globex: Scope = { tenant: "globex" };
    await stream(run, random, 1, 0.8, 50);
    await stream(run, random, 1, 0.7, 50, globex);
    // Globex's lessons keep merging on top of acme's suspect lesson.
    await run.memory.commit({ add: [lessonFixture("globex-one", { scope: globex })], reason: "globex lesson", author: "tester" });
    await run.memory.commit({ add: [lessonFixture("globex-two", { scope: globex })], reason: "globex lesson", author: "tester" });
    for (let i = 0; i < 60 && run.events.length === 0; i++) {
      await run.monitor.observe({ ...run.outcome(random, 4, 0.4), servedLessons: ["steady", "suspect"] });
      await run.monitor.observe({ ...run.outcome(random, 4, 0.7, globex), servedLessons: ["globex-one", "globex-two"] });
    }
    expect(run.events.map((event) => [event.lesson, event.merged])).toEqual([["suspect", 2]]);
    expect((await run.memory.list()).map((lesson) => lesson.id).sort()).toEqual(["globex-one", "globex-two", "steady"]);
    const globexLive = (await run.memory.list({ scope: globex })).map((lesson) => lesson.id).sort();
    expect(globexLive).toEqual(["globex-one", "globex-two"]);
  });

  it("credits only the runs that were served the lesson: failures of runs not served it revert nothing", async () => {
    const run = await setup();
    const random = createSeededRandom(31);
    await stream(run, random, 1, 0.8, 50);
    // Served from v2 but not given `suspect` (the retriever found it irrelevant): they fail, it is not its doing.
    for (let i = 0; i < 60; i++) await run.monitor.observe({ ...run.outcome(random, 2, 0.2), servedLessons: ["steady"] });
    const check = await run.monitor.check();
    expect(standingOf(check, "suspect")).toMatchObject({ reason: "too_few_episodes", comparison: { after: { episodes: 0 } } });
    expect(run.events).toHaveLength(0);
  });

  it("does not revert on noise: 0.8 → 0.75 over 300 runs", async () => {
    const run = await setup();
    const random = createSeededRandom(11);
    await stream(run, random, 1, 0.8, 100);
    const checks = await stream(run, random, 2, 0.75, 300);
    expect(checks.some((check) => check.action === "reverted")).toBe(false);
    expect(run.events).toHaveLength(0);
    expect(await run.memory.headVersion()).toBe(2);
    // It did look, at 20, 40, 80, 160 runs.
    const looked = checks.map((check) => standingOf(check, "suspect")).filter((standing) => standing !== undefined && "comparison" in standing && standing.reason !== "too_few_episodes");
    expect(looked.map((standing) => (standing !== undefined && "comparison" in standing ? standing.comparison.after.episodes : 0))).toEqual([20, 40, 80, 160]);
  });

  it("stops watching a lesson after maxLooks looks", async () => {
    const run = await setup({ maxLooks: 2 });
    const random = createSeededRandom(19);
    await stream(run, random, 1, 0.8, 60);
    const checks = await stream(run, random, 2, 0.8, 45);
    expect(standingOf(checks[19] as RegressionCheck, "suspect")).toMatchObject({ comparison: { look: 0 } });
    expect(standingOf(checks[39] as RegressionCheck, "suspect")).toMatchObject({ comparison: { look: 1 } });
    expect(standingOf(checks[44] as RegressionCheck, "suspect")).toBeUndefined();
  });

  it("does not revert on a tiny sample, however bad, nor on a single failure", async () => {
    const run = await setup();
    const random = createSeededRandom(3);
    await stream(run, random, 1, 0.8, 50);
    const [first] = await stream(run, random, 2, 0, 1);
    expect(standingOf(first as RegressionCheck, "suspect")).toMatchObject({ reason: "too_few_episodes" });
    const checks = await stream(run, random, 2, 0.1, 15);
    expect(checks.every((check) => check.action === "none" && standingOf(check, "suspect")?.reason === "too_few_episodes")).toBe(true);
    expect(run.events).toHaveLength(0);
    expect(await run.memory.headVersion()).toBe(2);
  });

  it("waits for the runs before the merge too before deciding", async () => {
    const run = await setup();
    const random = createSeededRandom(5);
    await stream(run, random, 1, 0.9, 5);
    const checks = await stream(run, random, 2, 0.1, 40);
    expect(checks.every((check) => check.action === "none" && standingOf(check, "suspect")?.reason === "too_few_episodes")).toBe(true);
  });

  it("reverts once when many outcomes are observed at the same time", async () => {
    const run = await setup();
    const random = createSeededRandom(21);
    await stream(run, random, 1, 0.8, 60);
    for (let i = 0; i < 39; i++) await run.ledger.record(run.outcome(random, 2, 0.3));
    const checks = await Promise.all(Array.from({ length: 10 }, () => run.monitor.observe(run.outcome(random, 2, 0.3))));
    expect(checks.filter((check) => check.action === "reverted")).toHaveLength(1);
    expect(run.events).toHaveLength(1);
    expect((await run.memory.history()).filter((snapshot) => snapshot.kind === "revert")).toHaveLength(1);
  });

  it("compares only runs within the lesson's scope by default", async () => {
    const run = await setup({}, { tenant: "acme", user: "ana" });
    const random = createSeededRandom(13);
    const ana: Scope = { tenant: "acme", user: "ana" };
    const bob: Scope = { tenant: "acme", user: "bob" };
    await stream(run, random, 1, 0.8, 40, ana);
    await stream(run, random, 1, 0.8, 40, bob);
    // Bob's runs collapse, but the lesson was only for Ana: not its doing.
    const bobChecks = await stream(run, random, 2, 0.2, 60, bob);
    expect(bobChecks.every((check) => check.action === "none")).toBe(true);
    // Ana's runs collapse: reverted, with the scope in the evidence.
    await stream(run, random, 2, 0.2, 40, ana);
    expect(run.events).toHaveLength(1);
    expect(run.events[0]?.comparison.scope).toEqual(ana);
    expect(run.events[0]?.comparison.after.episodes).toBeLessThanOrEqual(40);
  });

  it("keeps its looks in the ledger: a new monitor on the same ledger does not take a look again", async () => {
    const run = await setup();
    const random = createSeededRandom(23);
    await stream(run, random, 1, 0.8, 50);
    const checks = await stream(run, random, 2, 0.8, 25);
    expect(checks.some((check) => standingOf(check, "suspect")?.reason === "not_significant" || standingOf(check, "suspect")?.reason === "drop_too_small")).toBe(true);
    expect(await run.ledger.looks(["suspect"])).toEqual(new Map([["suspect", 0]]));
    const restarted = createRegressionMonitor({ memory: run.memory, ledger: run.ledger });
    expect(standingOf(await restarted.check(), "suspect")).toMatchObject({ reason: "awaiting_next_look", episodes: 25, nextLookAt: 40 });
  });

  it("tries the revert again at the next check when the memory failed to write it", async () => {
    const { memory } = await mergedMemory();
    let failures = 1;
    const flaky = patchMemory(memory, {
      revert: (request) => {
        if (failures-- > 0) return Promise.reject(new LessonloopError("store_unavailable", "Chroma is down"));
        return memory.revert(request);
      },
    });
    const ledger = new InMemoryOutcomeLedger();
    const monitor = createRegressionMonitor({ memory: flaky, ledger });
    const random = createSeededRandom(7);
    const record = (version: number, rate: number, index: number) =>
      ledger.record({
        episodeId: `e-${version}-${index}`,
        scope: ACME,
        memoryVersion: version,
        servedLessons: version === 2 ? ["suspect"] : [],
        status: random.chance(rate) ? "success" : "failure",
        recordedAt: "2026-01-01T00:00:00.000Z",
      });
    for (let i = 0; i < 50; i++) await record(1, 0.9, i);
    for (let i = 0; i < 20; i++) await record(2, 0.1, i);
    await expect(monitor.check()).rejects.toMatchObject({ code: "store_unavailable" });
    expect(await monitor.check()).toMatchObject({ action: "reverted", revert: { lesson: "suspect", merged: 2 } });
  });

  it("hands a failing listener's error to the caller, with the revert already made", async () => {
    const run = await setup({
      onRevert: () => {
        throw new Error("listener broke");
      },
    });
    const random = createSeededRandom(7);
    await stream(run, random, 1, 0.8, 50);
    await expect(stream(run, random, 2, 0.2, 40)).rejects.toThrow("listener broke");
    expect((await run.memory.snapshot(3)).kind).toBe("revert");
    expect(standingOf(await run.monitor.check(), "suspect")).toBeUndefined();
  });
});

/**
 * A rollback snapshot as the regression monitor stored it before snapshots had
 * `evidence`: the comparison as JSON on the reason's second line. Memories
 * written then must still read.
 */
const LEGACY_ROLLBACK_DOCUMENT = JSON.stringify({
  format: 1,
  record: {
    version: 3,
    parent: 2,
    kind: "rollback",
    restores: 1,
    change: { added: [], retired: ["suspect"] },
    reason:
      "Regression after merge v2: success 40.0% (8/20) vs 80.0% (40/50) at v1, drop 40.0 points, one-sided Fisher exact p=0.00123 ≤ 0.0250 (look 0, runs in acme). Rolled back to v1, retiring suspect.\n" +
      'evidence: {"test":"fisher-exact-one-sided","before":{"version":1,"successes":40,"failures":10,"unknown":0,"episodes":50,"rate":0.8},"after":{"version":2,"successes":8,"failures":12,"unknown":0,"episodes":20,"rate":0.4},"drop":0.4,"pValue":0.00123,"look":0,"lookAlpha":0.025,"scope":{"tenant":"acme"},"thresholds":{"alpha":0.05,"minEpisodes":20,"minDrop":0.1},"decision":"regressed"}',
    author: "regression-monitor",
    createdAt: "2026-01-01T00:00:00.000Z",
  },
});

describe("regressionEvidenceOf on memories written before typed evidence", () => {
  it("reads a stored rollback of the earlier format and its evidence from the reason", () => {
    const snapshot = decodeRecord(SnapshotSchema, LEGACY_ROLLBACK_DOCUMENT, "snapshot");
    expect(snapshot.evidence).toBeUndefined();
    expect(regressionEvidenceOf(snapshot)).toMatchObject({ decision: "regressed", pValue: 0.00123, look: 0, after: { version: 2, successes: 8 }, scope: ACME });
  });

  it("finds no evidence on a snapshot that has none", () => {
    const snapshot = decodeRecord(SnapshotSchema, LEGACY_ROLLBACK_DOCUMENT, "snapshot");
    expect(regressionEvidenceOf({ ...snapshot, reason: "an operator's rollback" })).toBeUndefined();
  });
});
