/**
 * Benchmark of ChromaLessonMemory on a real embedded Chroma server with the
 * offline lexical embedder: search latency (p50, p99), commit and rollback time
 * at 1k and 10k lessons, and the server's memory.
 *
 *   pnpm bench:component lesson-memory            # 1k and 10k
 *   pnpm bench:component lesson-memory 1000       # one size
 */
import { ChromaLessonMemory, startChroma } from "@lessonloop/chroma";
import { createLexicalEmbedder, type LessonInput } from "@lessonloop/core";
import { createSeededRandom, percentile } from "@lessonloop/core/testing";
import { cpus } from "node:os";
import { lessonScope, lessonText } from "../lesson-corpus.js";
import { processMemoryKiB, round, timed } from "../machine-probe.js";
import { writeComponentResults } from "./component-results.js";

const COMMIT_SIZE = 1_000;
/** Every bulk commit also supersedes this share of the previous one, as revisions do. */
const RETIRE_SHARE = 0.05;
const SEARCHES = 400;
const WARMUP = 30;
const ROLLBACKS = 15;
const TIME = "2026-01-01T00:00:00.000Z";

const median = (values: number[]) => percentile(values, 50);

async function benchSize(url: string, size: number, pid: number | undefined) {
  const random = createSeededRandom(size);
  const embedder = createLexicalEmbedder();
  const memory = await ChromaLessonMemory.open({ url, name: `bench-${size}-${Date.now()}`, embedder });
  let nextId = 0;
  let previous: string[] = [];
  const makeLesson = (): LessonInput => ({
    id: `lesson-${nextId++}`,
    ...lessonText(random),
    kind: random.pick(["recovery", "strategy", "preference", "constraint"] as const),
    scope: lessonScope(random),
    provenance: { agent: "bench", model: "none", proposedAt: TIME },
    createdAt: TIME,
  });

  const fillStarted = performance.now();
  while (nextId < size) {
    const add = Array.from({ length: Math.min(COMMIT_SIZE, size - nextId) }, makeLesson);
    const retire = previous.slice(0, Math.floor(previous.length * RETIRE_SHARE));
    await memory.commit({ add, retire, reason: "bulk load", author: "bench" });
    previous = add.map((lesson) => lesson.id);
  }
  const fillSeconds = (performance.now() - fillStarted) / 1_000;
  const live = (await memory.list()).length;

  const search = async () => {
    const { trigger } = lessonText(random);
    await memory.search({ query: trigger, scope: lessonScope(random), k: 5 });
  };
  for (let i = 0; i < WARMUP; i++) await search();
  const latencies: number[] = [];
  for (let i = 0; i < SEARCHES; i++) latencies.push((await timed(search))[1]);
  latencies.sort((a, b) => a - b);

  // A small commit and its rollback, repeated: the rollback's cost must not depend on memory size.
  const commits: number[] = [];
  const rollbacks: number[] = [];
  for (let i = 0; i < ROLLBACKS; i++) {
    const [snapshot, commitMs] = await timed(() => memory.commit({ add: Array.from({ length: 10 }, makeLesson), reason: "small", author: "bench" }));
    commits.push(commitMs);
    rollbacks.push((await timed(() => memory.rollback({ to: snapshot.parent ?? 0, reason: "undo", author: "bench" })))[1]);
  }
  // The largest rollback there is: back to the first bulk commit.
  const [, rollbackToFirstMs] = await timed(() => memory.rollback({ to: 1, reason: "undo nearly everything", author: "bench" }));

  return {
    lessons: size,
    liveLessons: live,
    fillSeconds: round(fillSeconds, 1),
    searchP50Ms: round(percentile(latencies, 50), 2),
    searchP99Ms: round(percentile(latencies, 99), 2),
    commit10Ms: round(median(commits), 1),
    rollbackMs: round(median(rollbacks), 2),
    rollbackToFirstMs: round(rollbackToFirstMs, 1),
    serverKiB: await processMemoryKiB(pid),
  };
}

/** `args`: the memory sizes to measure (default 1k and 10k). */
export async function run(args: readonly string[]): Promise<void> {
  const sizes = args.map(Number).filter((n) => n > 0);
  const server = await startChroma({ url: process.env["CHROMA_URL"] || undefined });
  try {
    const idle = await processMemoryKiB(server.pid);
    const results = [];
    for (const size of sizes.length > 0 ? sizes : [1_000, 10_000]) {
      const result = await benchSize(server.url, size, server.pid);
      results.push(result);
      console.log(JSON.stringify(result));
    }
    console.log("\n| lessons | search p50 | search p99 | commit 10 | rollback | rollback to v1 | server RSS (peak) |");
    console.log("|---:|---:|---:|---:|---:|---:|---:|");
    for (const r of results) {
      console.log(`| ${r.lessons.toLocaleString("en")} | ${r.searchP50Ms} ms | ${r.searchP99Ms} ms | ${r.commit10Ms} ms | ${r.rollbackMs} ms | ${r.rollbackToFirstMs} ms | ${Math.round(r.serverKiB.rss / 1024)} MiB (${Math.round(r.serverKiB.peak / 1024)} MiB) |`);
    }
    console.log(`\nServer idle RSS: ${Math.round(idle.rss / 1024)} MiB. Node ${process.version}, ${cpus().length} cores.`);
    const out = await writeComponentResults("lesson-memory", { measuredAt: new Date().toISOString(), node: process.version, idleServerKiB: idle, results });
    console.log(`Wrote ${out}`);
  } finally {
    await server.stop();
  }
}
