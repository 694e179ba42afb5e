/**
 * The per-lesson regression monitor end to end, by seeded simulation: the
 * real `createRegressionMonitor` on an `InMemoryLessonMemory` and an
 * `InMemoryOutcomeLedger`, `observe` after every run. Two tenants share one
 * memory; each run is served a random share of its tenant's live lessons.
 *
 * - False reverts: histories of harmless merges (the success rate never
 *   changes, whatever is served); every revert is a false one.
 * - Detection: an acme lesson drops the success rate of the runs served it
 *   from 0.8 to 0.4; two globex lessons merge after it, with their own
 *   traffic. How many runs served the lesson it takes to revert it, and
 *   whether the globex lessons stay.
 *
 *   pnpm --filter @lessonloop/regression-monitor bench:monitor
 */
import { InMemoryLessonMemory, InMemoryOutcomeLedger, createLexicalEmbedder, type Scope } from "@lessonloop/core";
import { lessonFixture } from "@lessonloop/core/conformance";
import { createSeededRandom, type SeededRandom } from "@lessonloop/core/testing";
import { mkdir, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { createRegressionMonitor } from "../src/regression-monitor.js";

const ALPHA = 0.05;
const HISTORIES = 40;
const MERGES_PER_HISTORY = 10;
const RUNS_BEFORE = 60;
const RUNS_PER_MERGE = 60;
const DETECTION_TRIALS = 200;
const TENANTS: Scope[] = [{ tenant: "acme" }, { tenant: "globex" }];
const embedder = createLexicalEmbedder();
const at = "2026-01-01T00:00:00.000Z";

function newRun(random: SeededRandom) {
  const memory = new InMemoryLessonMemory({ embedder });
  const ledger = new InMemoryOutcomeLedger();
  let episode = 0;
  const served = new Map<string, string[]>();
  /** One run in `scope`, served each of the scope's live lessons with probability ½, successful with `rate(served)`. */
  const runOnce = async (monitor: ReturnType<typeof createRegressionMonitor>, scope: Scope, rate: (lessons: string[]) => number) => {
    const memoryVersion = await memory.headVersion();
    const lessons = (served.get(scope.tenant) ?? []).filter(() => random.chance(0.5));
    const live = new Set((await memory.list({ scope })).map((lesson) => lesson.id));
    const given = lessons.filter((id) => live.has(id));
    return monitor.observe({ episodeId: `e-${episode++}`, scope, memoryVersion, servedLessons: given, status: random.chance(rate(given)) ? "success" : "failure", recordedAt: at });
  };
  const merge = async (id: string, scope: Scope) => {
    await memory.commit({ add: [lessonFixture(id, { scope, trigger: `case ${id}`, guidance: `Do ${id}.` })], reason: `merge ${id}`, author: "bench" });
    served.set(scope.tenant, [...(served.get(scope.tenant) ?? []), id]);
  };
  return { memory, ledger, runOnce, merge };
}

async function falseReverts() {
  let merges = 0;
  let reverts = 0;
  for (let history = 0; history < HISTORIES; history++) {
    const random = createSeededRandom(1_000 + history);
    const run = newRun(random);
    const monitor = createRegressionMonitor({ memory: run.memory, ledger: run.ledger, alpha: ALPHA, onRevert: () => void reverts++ });
    const rates = new Map(TENANTS.map((scope) => [scope.tenant, random.pick([0.5, 0.7, 0.8, 0.9])]));
    const harmless = (scope: Scope) => () => rates.get(scope.tenant) ?? 0.8;
    for (let i = 0; i < RUNS_BEFORE; i++) for (const scope of TENANTS) await run.runOnce(monitor, scope, harmless(scope));
    for (let m = 0; m < MERGES_PER_HISTORY; m++) {
      const scope = TENANTS[m % TENANTS.length] as Scope;
      await run.merge(`h${history}-m${m}`, scope);
      merges++;
      for (let i = 0; i < RUNS_PER_MERGE; i++) for (const target of TENANTS) await run.runOnce(monitor, target, harmless(target));
    }
    // Let the last merges reach their later looks too.
    for (let i = 0; i < 4 * RUNS_PER_MERGE; i++) for (const target of TENANTS) await run.runOnce(monitor, target, harmless(target));
  }
  return { merges, reverts, rate: reverts / merges };
}

async function detection(runsBefore: number) {
  const servedRunsToRevert: number[] = [];
  let globexKept = 0;
  let otherReverts = 0;
  for (let trial = 0; trial < DETECTION_TRIALS; trial++) {
    const random = createSeededRandom(5_000 + trial);
    const run = newRun(random);
    const reverted: string[] = [];
    const monitor = createRegressionMonitor({ memory: run.memory, ledger: run.ledger, alpha: ALPHA, onRevert: (revert) => void reverted.push(revert.lesson) });
    const [acme, globex] = TENANTS as [Scope, Scope];
    const acmeRate = (lessons: string[]) => (lessons.includes("harmful") ? 0.4 : 0.8);
    await run.merge("acme-base", acme);
    for (let i = 0; i < runsBefore; i++) {
      await run.runOnce(monitor, acme, acmeRate);
      await run.runOnce(monitor, globex, () => 0.7);
    }
    await run.merge("harmful", acme);
    await run.merge("globex-one", globex);
    await run.merge("globex-two", globex);
    let servedHarmful = 0;
    for (let i = 0; i < 400 && !reverted.includes("harmful"); i++) {
      await run.runOnce(monitor, globex, () => 0.7);
      const check = await run.runOnce(monitor, acme, acmeRate);
      const last = await run.ledger.countOutcomes({ served: "harmful" });
      servedHarmful = last.successes + last.failures;
      if (check.action === "reverted" && check.revert.lesson === "harmful") break;
    }
    if (reverted.includes("harmful")) servedRunsToRevert.push(servedHarmful);
    otherReverts += reverted.filter((id) => id !== "harmful").length;
    const live = new Set((await run.memory.list()).map((lesson) => lesson.id));
    if (live.has("globex-one") && live.has("globex-two") && live.has("acme-base")) globexKept++;
  }
  servedRunsToRevert.sort((a, b) => a - b);
  const within40 = servedRunsToRevert.filter((runs) => runs <= 40).length / DETECTION_TRIALS;
  return {
    runsBefore,
    trials: DETECTION_TRIALS,
    reverted: servedRunsToRevert.length / DETECTION_TRIALS,
    within40,
    medianServedRuns: servedRunsToRevert[Math.floor(servedRunsToRevert.length / 2)],
    laterMergesKept: globexKept / DETECTION_TRIALS,
    otherReverts,
  };
}

const started = performance.now();
const fp = await falseReverts();
const detections = [await detection(60), await detection(200)];
console.log(`Per-lesson monitor, defaults (alpha ${ALPHA}, minEpisodes 20, minDrop 0.1), observe after every run; two tenants on one memory.\n`);
console.log(`False reverts of harmless lessons: ${fp.reverts} of ${fp.merges} merges = ${(fp.rate * 100).toFixed(2)}% (alpha ${ALPHA * 100}%)`);
console.log(`  ${HISTORIES} histories × ${MERGES_PER_HISTORY} merges, success rate per tenant drawn from 0.5/0.7/0.8/0.9 and never changed; ${RUNS_PER_MERGE} runs a tenant after each merge, 240 more at the end.`);
for (const det of detections) {
  console.log(`0.8 → 0.4 on the runs served an acme lesson, ${det.runsBefore} acme runs before its merge, two globex lessons merged after it (${det.trials} trials):`);
  console.log(`  reverted ${(det.reverted * 100).toFixed(1)}%, within 40 runs served it ${(det.within40 * 100).toFixed(1)}%, median ${det.medianServedRuns} runs served it`);
  console.log(`  later globex merges and the earlier acme lesson still live: ${(det.laterMergesKept * 100).toFixed(1)}%; globex lessons reverted (false): ${det.otherReverts}`);
}
const seconds = (performance.now() - started) / 1000;
console.log(`\n(${seconds.toFixed(1)} s)`);
const out = join(dirname(fileURLToPath(import.meta.url)), "results", "per-lesson-monitor.json");
await mkdir(dirname(out), { recursive: true });
await writeFile(
  out,
  `${JSON.stringify({ generated: "by pnpm --filter @lessonloop/regression-monitor bench:monitor — do not edit", measuredAt: new Date().toISOString(), alpha: ALPHA, falseReverts: fp, detection: detections }, null, 2)}\n`,
);
console.log(`wrote ${out}`);
