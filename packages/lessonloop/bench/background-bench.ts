/**
 * What learning adds to a run's latency, by mode: the agent unwrapped, wrapped with learning
 * "off" (retrieve + record only), "sync" (learn before returning) and "background" (queue and
 * return). Scripted models with a fixed latency stand in for real ones; memory and edge cases
 * are on the embedded Chroma server. The learner proposes a lesson the peers reject (it breaks
 * two stored refund cases), so every run fails again and pays the whole learning path.
 *
 *   pnpm --filter lessonloop bench            # 20 runs a mode, 20 ms a model call
 *   pnpm --filter lessonloop bench 50 40      # runs, model latency (ms)
 */
import { mkdir, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { HumanMessage } from "@langchain/core/messages";
import { createLearningLoop, withLearning, type LearningTiming } from "../src/index.js";
import {
  AGENT_DESCRIPTION,
  INVOICE_TASK,
  ROLE_PLAY_TOOLS,
  SCOPE,
  WRONG_LESSON,
  createAgentBuilder,
  createAgentModel,
  createLearnerModel,
  createPeerModel,
  regressionCases,
} from "../src/tests/invoice-world.js";
import { percentile } from "@lessonloop/core/testing";

const runs = Number(process.argv[2] ?? 20);
const modelLatencyMs = Number(process.argv[3] ?? 20);


async function main(): Promise<void> {
  const loop = await createLearningLoop({
    learnerModel: createLearnerModel(WRONG_LESSON, modelLatencyMs),
    validatorModels: [createPeerModel("a", modelLatencyMs), createPeerModel("b", modelLatencyMs), createPeerModel("c", modelLatencyMs)],
    criticModel: null,
    agentDescription: AGENT_DESCRIPTION,
    tools: ROLE_PLAY_TOOLS,
    background: { maxQueued: 1_000 },
    onEvent: () => undefined,
    // A fresh memory each run, so no run measures what an earlier one stored.
    chromaPath: null,
  });
  await loop.edgeCaseStore.add(regressionCases());
  const results: Record<string, { p50: number; p95: number; mean: number }> = {};
  try {
    const unwrapped = createAgentBuilder(createAgentModel()).compile();
    const modes: (LearningTiming | "unwrapped")[] = ["unwrapped", "off", "sync", "background"];
    for (const mode of modes) {
      const graph = mode === "unwrapped" ? unwrapped : withLearning(createAgentBuilder(createAgentModel()), { loop, scope: { ...SCOPE }, learning: mode, retriever: { timeoutMs: 5_000 } });
      await graph.invoke({ messages: [new HumanMessage(INVOICE_TASK)] }); // warm-up
      await loop.idle();
      const times: number[] = [];
      const started = performance.now();
      for (let run = 0; run < runs; run++) {
        const t0 = performance.now();
        await graph.invoke({ messages: [new HumanMessage(INVOICE_TASK)] });
        times.push(performance.now() - t0);
      }
      const drainStart = performance.now();
      await loop.idle();
      const drainMs = performance.now() - drainStart;
      times.sort((a, b) => a - b);
      const mean = times.reduce((sum, time) => sum + time, 0) / times.length;
      results[mode] = { p50: percentile(times, 50), p95: percentile(times, 95), mean };
      const extra = mode === "background" ? `  (queue drained ${drainMs.toFixed(0)} ms after the last run; ${(performance.now() - started).toFixed(0)} ms in all)` : "";
      console.log(`${mode.padEnd(10)} p50 ${results[mode].p50.toFixed(1).padStart(7)} ms   p95 ${results[mode].p95.toFixed(1).padStart(7)} ms${extra}`);
    }
    const base = results["unwrapped"]?.p50 ?? 0;
    console.log("\nAdded latency at p50 over the unwrapped agent:");
    for (const mode of ["off", "sync", "background"]) console.log(`  ${mode.padEnd(10)} +${((results[mode]?.p50 ?? 0) - base).toFixed(1)} ms`);
    const out = join(dirname(fileURLToPath(import.meta.url)), "results", "background-bench.json");
    await mkdir(dirname(out), { recursive: true });
    await writeFile(out, `${JSON.stringify({ runs, modelLatencyMs, node: process.version, results }, null, 2)}\n`);
    console.log(`\nwrote ${out}`);
  } finally {
    await loop.close();
  }
}

await main();
