/**
 * Cost of crediting one episode's outcome: `monitor.observe` (the ledger
 * records the outcome, then the per-lesson regression monitor judges every
 * watched lesson) and `ledger.record` alone, per episode, in memory and on a
 * real embedded Chroma server (ChromaLessonMemory + ChromaOutcomeLedger, as
 * the learning loop's default opens them).
 *
 * The memory holds `LESSONS` lessons merged one a version over two tenants
 * (all watched, none past its last look), the ledger `PREFILLED` outcomes
 * before the timed episodes.
 *
 *   pnpm bench:component outcome-crediting
 */
import { openChromaStores } from "@lessonloop/chroma";
import { InMemoryLessonMemory, InMemoryOutcomeLedger, createLexicalEmbedder, type LessonMemory, type OutcomeLedger, type Scope } from "@lessonloop/core";
import { lessonFixture } from "@lessonloop/core/conformance";
import { createSeededRandom, percentile } from "@lessonloop/core/testing";
import { createRegressionMonitor } from "@lessonloop/regression-monitor";
import { cpus } from "node:os";
import { round } from "../machine-probe.js";
import { writeComponentResults } from "./component-results.js";

const LESSONS = 20;
const PREFILLED = 400;
const EPISODES = 300;
const WARMUP = 20;
const TENANTS: Scope[] = [{ tenant: "acme" }, { tenant: "globex" }];
const TIME = "2026-01-01T00:00:00.000Z";

interface Figures {
  store: string;
  lessons: number;
  prefilledOutcomes: number;
  episodes: number;
  observe: { p50Ms: number; p95Ms: number };
  recordOnly: { p50Ms: number; p95Ms: number };
}

async function measure(store: string, memory: LessonMemory, ledger: OutcomeLedger): Promise<Figures> {
  const random = createSeededRandom(3);
  for (let index = 0; index < LESSONS; index++) {
    await memory.commit({ add: [lessonFixture(`l${index}`, { scope: TENANTS[index % 2] as Scope, trigger: `case ${index}`, guidance: `Do ${index}.` })], reason: "bench", author: "bench" });
  }
  const head = await memory.headVersion();
  let episode = 0;
  const outcome = () => {
    const tenant = random.int(0, 1);
    const lessons = Array.from({ length: LESSONS }, (_, index) => `l${index}`).filter((_, index) => index % 2 === tenant && random.chance(0.3));
    return {
      episodeId: `e-${episode++}`,
      scope: TENANTS[tenant] as Scope,
      memoryVersion: random.int(0, head),
      servedLessons: lessons,
      status: random.chance(0.8) ? ("success" as const) : ("failure" as const),
      recordedAt: TIME,
    };
  };
  for (let index = 0; index < PREFILLED; index++) await ledger.record(outcome());
  const monitor = createRegressionMonitor({ memory, ledger });
  const observe: number[] = [];
  const recordOnly: number[] = [];
  for (let index = 0; index < WARMUP + EPISODES; index++) {
    let started = performance.now();
    await monitor.observe(outcome());
    if (index >= WARMUP) observe.push(performance.now() - started);
    started = performance.now();
    await ledger.record(outcome());
    if (index >= WARMUP) recordOnly.push(performance.now() - started);
  }
  const summary = (values: number[]) => ({ p50Ms: round(percentile(values, 50), 3), p95Ms: round(percentile(values, 95), 3) });
  return { store, lessons: LESSONS, prefilledOutcomes: PREFILLED, episodes: EPISODES, observe: summary(observe), recordOnly: summary(recordOnly) };
}

export async function run(): Promise<void> {
  const embedder = createLexicalEmbedder();
  const results: Figures[] = [await measure("in-memory", new InMemoryLessonMemory({ embedder }), new InMemoryOutcomeLedger())];
  const stores = await openChromaStores({ url: process.env["CHROMA_URL"] || undefined, name: `crediting-${Date.now().toString(36)}`, embedder });
  try {
    results.push(await measure("chroma", stores.memory, stores.outcomes));
  } finally {
    await stores.close();
  }
  console.log(`Crediting one episode's outcome: ${LESSONS} watched lessons, ${PREFILLED} outcomes already in the ledger, ${EPISODES} timed episodes.\n`);
  console.log("| store | observe (record + per-lesson check) p50 / p95 | record only p50 / p95 |");
  console.log("|---|---:|---:|");
  for (const figures of results) {
    console.log(`| ${figures.store} | ${figures.observe.p50Ms} / ${figures.observe.p95Ms} ms | ${figures.recordOnly.p50Ms} / ${figures.recordOnly.p95Ms} ms |`);
  }
  const out = await writeComponentResults("outcome-crediting", { measuredAt: new Date().toISOString(), node: process.version, cores: cpus().length, results });
  console.log(`\nwrote ${out}`);
}
