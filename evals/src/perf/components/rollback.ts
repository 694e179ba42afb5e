/**
 * Rollback time against memory size, on a real embedded Chroma server
 * (`ChromaLessonMemory`, offline lexical embedder). One memory per size is
 * filled; once the server is idle, a one-lesson merge and its rollback are
 * repeated on each memory in turn; the median and p90 of the rollback
 * (`memory.rollback`) and of `rollbackTo` (rollback plus the diff of what it
 * retired) are reported. A rollback appends one snapshot and reads no lesson
 * records, so it must not grow with the number of lessons.
 *
 *   pnpm bench:component rollback                  # 1k, 10k, 100k
 *   pnpm bench:component rollback 1000 10000       # chosen sizes
 */
import { ChromaLessonMemory, startChroma } from "@lessonloop/chroma";
import { createLexicalEmbedder, type LessonInput } from "@lessonloop/core";
import { percentile } from "@lessonloop/core/testing";
import { rollbackTo } from "@lessonloop/snapshot-checkpointer";
import { cpus } from "node:os";
import { round, settle, timed } from "../machine-probe.js";
import { writeComponentResults } from "./component-results.js";

const FILL_COMMIT = 5_000;
const WARMUP = 6;
const RUNS = 25;
const TIME = "2026-01-01T00:00:00.000Z";
const topics = ["invoice", "refund", "shipping", "address", "currency", "discount", "order", "tax", "payment", "delivery"];

function lesson(index: number): LessonInput {
  const topic = topics[index % topics.length] ?? "order";
  return {
    id: `lesson-${index}`,
    trigger: `when asked to handle ${topic} case ${index}`,
    guidance: `check the ${topic} record ${index} before answering`,
    kind: "strategy",
    scope: { tenant: `tenant-${index % 5}` },
    provenance: { agent: "bench", model: "none", proposedAt: TIME },
    createdAt: TIME,
  };
}


interface Sized {
  size: number;
  memory: ChromaLessonMemory;
  next: number;
  fillSeconds: number;
  rollbacks: number[];
  rollbackTos: number[];
}

async function fill(url: string, size: number): Promise<Sized> {
  const memory = await ChromaLessonMemory.open({ url, name: `rollback-bench-${size}-${Date.now()}`, embedder: createLexicalEmbedder() });
  const started = performance.now();
  for (let start = 0; start < size; start += FILL_COMMIT) {
    const add = Array.from({ length: Math.min(FILL_COMMIT, size - start) }, (_, offset) => lesson(start + offset));
    await memory.commit({ add, reason: "bulk load", author: "bench" });
  }
  return { size, memory, next: size, fillSeconds: (performance.now() - started) / 1_000, rollbacks: [], rollbackTos: [] };
}

/** One one-lesson merge and its rollback; times the rollback (`rollbackTo` when `withDiff`). */
async function mergeAndRollBack(sized: Sized, withDiff: boolean, record: boolean): Promise<void> {
  const { memory } = sized;
  const merged = await memory.commit({ add: [lesson(sized.next++)], reason: "one merge", author: "bench" });
  const to = merged.parent ?? 0;
  if (withDiff) {
    const [result, ms] = await timed(() => rollbackTo(memory, { to, reason: "undo the merge", author: "bench" }));
    if (result.diff.removed.length !== 1) throw new Error(`rollbackTo retired ${result.diff.removed.length} lessons, expected 1`);
    if (record) sized.rollbackTos.push(ms);
  } else {
    const [, ms] = await timed(() => memory.rollback({ to, reason: "undo the merge", author: "bench" }));
    if (record) sized.rollbacks.push(ms);
  }
}

/** `args`: the memory sizes to measure (default 1k, 10k and 100k). */
export async function run(args: readonly string[]): Promise<void> {
  const sizes = args.map(Number).filter((n) => Number.isInteger(n) && n > 0);
  const server = await startChroma({ url: process.env["CHROMA_URL"] || undefined });
  try {
    // Fill every memory first, then measure them round-robin in one window, so
    // background work and other load on the machine fall on every size alike.
    const memories: Sized[] = [];
    for (const size of sizes.length > 0 ? sizes : [1_000, 10_000, 100_000]) {
      memories.push(await fill(server.url, size));
      console.log(`filled ${size.toLocaleString("en")} lessons in ${round(memories.at(-1)?.fillSeconds ?? 0, 1)} s`);
    }
    // Chroma indexes in the background: wait for 3 quiet seconds in a row.
    const settleSeconds = await settle(server.pid, 180, 3);
    console.log(`server settled after ${round(settleSeconds, 1)} s`);
    for (let run = 0; run < WARMUP + RUNS * 2; run++) {
      for (const sized of memories) await mergeAndRollBack(sized, run % 2 === 1, run >= WARMUP);
    }
    const results = [];
    for (const sized of memories) {
      const live = (await sized.memory.list({ scope: { tenant: "tenant-0" } })).length;
      if (live !== Math.ceil(sized.size / 5)) throw new Error(`expected ${Math.ceil(sized.size / 5)} live lessons in tenant-0, found ${live}`);
      results.push({
        lessons: sized.size,
        fillSeconds: round(sized.fillSeconds, 1),
        runs: sized.rollbacks.length,
        rollbackP50Ms: round(percentile(sized.rollbacks, 50)),
        rollbackP90Ms: round(percentile(sized.rollbacks, 90)),
        rollbackToP50Ms: round(percentile(sized.rollbackTos, 50)),
        rollbackToP90Ms: round(percentile(sized.rollbackTos, 90)),
      });
      console.log(JSON.stringify(results.at(-1)));
    }
    console.log("\n| lessons | rollback p50 | rollback p90 | rollbackTo (with diff) p50 | rollbackTo p90 | fill |");
    console.log("|---:|---:|---:|---:|---:|---:|");
    for (const r of results) {
      console.log(
        `| ${r.lessons.toLocaleString("en")} | ${r.rollbackP50Ms} ms | ${r.rollbackP90Ms} ms | ${r.rollbackToP50Ms} ms | ${r.rollbackToP90Ms} ms | ${r.fillSeconds} s |`,
      );
    }
    console.log(`\n${results[0]?.runs ?? 0} runs of each per size, sizes interleaved. Node ${process.version}, ${cpus().length} cores.`);
    const out = await writeComponentResults("rollback", { measuredAt: new Date().toISOString(), node: process.version, cores: cpus().length, settleSeconds: round(settleSeconds, 1), results });
    console.log(`Wrote ${out}`);
  } finally {
    await server.stop();
  }
}
