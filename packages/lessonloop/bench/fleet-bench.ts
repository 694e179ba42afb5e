/**
 * The fleet's figures (issue 19), with real processes on 127.0.0.1: a PostgreSQL server (the
 * shared episode queue), a Chroma server (the shared memory), agent processes serving runs and
 * learning workers, all with scripted models of a fixed latency (the fleet test's world: each
 * episode teaches one lesson of its own, so every episode pays the whole learning path).
 *
 *   1. the latency a run adds to acknowledge its episode: the shared queue against the file
 *      journal (one agent, `runs` runs each, nothing else running);
 *   2. episodes learned per second, and merges per second into the one memory, with 1 and 2
 *      workers draining `runs` queued episodes;
 *   3. recovery: a worker SIGKILLed while validating — how long until another finishes its
 *      episode (the lease plus the sweep) — and an agent SIGKILLed right after an acknowledged run.
 *
 *   pnpm bench:fleet                 # 30 runs, 50 ms a model call, lease 10 s
 *   pnpm bench:fleet -- 60 100 5     # runs, model latency (ms), lease (s)
 */
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { startChroma } from "@lessonloop/chroma";
import { percentile } from "@lessonloop/core/testing";
import { startPostgres } from "@lessonloop/queue-pg/testing";
import { startFleetProcess, type FleetProcess } from "../src/tests/fleet-processes.js";

const args = process.argv.slice(2).filter((arg) => arg !== "--");
const runs = Number(args[0] ?? 30);
const latencyMs = Number(args[1] ?? 50);
const leaseSeconds = Number(args[2] ?? 10);

const postgres = await startPostgres();
const chroma = await startChroma();
const folder = await mkdtemp(join(tmpdir(), "lessonloop-fleet-bench-"));
const started: FleetProcess[] = [];
const start = (...params: Parameters<typeof startFleetProcess>) => {
  const fleetProcess = startFleetProcess(...params);
  started.push(fleetProcess);
  return fleetProcess;
};
let agentNumber = 0;
let memoryNumber = 0;
const ms = (value: number) => `${value.toFixed(value < 10 ? 2 : 0)} ms`;

/** One agent process serving `runs` runs onto `queue`; its runs' latencies and the acknowledgement's. */
async function serve(queue: Record<string, string>, memory: string) {
  const agent = start(`agent ${++agentNumber}`, "fleet-agent.ts", { chromaUrl: chroma.url, memory, queue, agent: agentNumber, runs, leaseSeconds });
  await agent.waitFor((line) => "done" in line, 300_000);
  await agent.stop();
  const acks = agent.lines.flatMap(({ line }) => ("ack" in line ? [line as { ms: number; enqueueMs: number }] : []));
  // The first run pays the process's warm-up (connections, module loading): left out.
  const steady = acks.slice(1);
  const of = (values: number[]) => ({ p50: percentile(values, 50), p99: percentile(values, 99) });
  return { runMs: of(steady.map((ack) => ack.ms)), ackMs: of(steady.map((ack) => ack.enqueueMs)) };
}

/** `count` workers drain the queue, which holds `runs` episodes; episodes and merges a second. */
async function drain(count: number, memory: string) {
  const workers = Array.from({ length: count }, (_, index) =>
    start(`worker ${index + 1}`, "fleet-worker.ts", { chromaUrl: chroma.url, memory, postgres: postgres.url, worker: index + 1, latencyMs, concurrency: 1, leaseSeconds }),
  );
  const learned = () => workers.flatMap((worker) => worker.lines.filter(({ line }) => typeof line["learned"] === "string"));
  // An episode whose learning kept timing out ends in the dead letters: it is finished too, and counted apart.
  const dead = () => workers.flatMap((worker) => worker.lines.filter(({ line }) => line["event"] === "dead_lettered"));
  const retried = () => workers.flatMap((worker) => worker.lines.filter(({ line }) => line["event"] === "retrying"));
  // Polled: the last episode may finish on either worker.
  const deadline = performance.now() + 900_000;
  while (learned().length + dead().length < runs) {
    if (performance.now() > deadline) throw new Error(`only ${learned().length + dead().length} of ${runs} episodes finished in 900 s`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const firstTake = Math.min(...workers.flatMap((worker) => worker.lines.filter(({ line }) => "took" in line).map(({ at }) => at)));
  const lastLearned = Math.max(...learned().map(({ at }) => at));
  const merged = learned().reduce((sum, { line }) => sum + (line["merged"] as number), 0);
  await Promise.all(workers.map((worker) => worker.stop()));
  const seconds = (lastLearned - firstTake) / 1000;
  return { workers: count, episodes: learned().length, deadLettered: dead().length, retried: retried().length, merged, seconds, episodesPerSecond: learned().length / seconds, mergesPerSecond: merged / seconds };
}

/** A worker killed while validating, the other finishing its episode; an agent killed after an acknowledged run. */
async function recovery(memory: string) {
  const workers = [1, 2].map((worker) =>
    start(`worker ${worker}`, "fleet-worker.ts", { chromaUrl: chroma.url, memory, postgres: postgres.url, worker, latencyMs, concurrency: 1, leaseSeconds }),
  );
  await Promise.all(workers.map((worker) => worker.waitFor((line) => "ready" in line)));
  const agent = start(`agent ${++agentNumber}`, "fleet-agent.ts", { chromaUrl: chroma.url, memory, queue: { postgres: postgres.url }, agent: agentNumber, runs: 3, leaseSeconds });
  const acked = (await agent.waitFor((line) => "ack" in line))["ack"] as string;
  await agent.kill();
  const agentKilledAt = performance.now();
  const validating = await Promise.race(workers.map((worker) => worker.waitFor((line) => "validating" in line).then((line) => ({ worker, task: line["validating"] as string }))));
  await validating.worker.kill();
  const workerKilledAt = performance.now();
  const survivor = workers.find((worker) => worker !== validating.worker) as FleetProcess;
  const learnedAt = async (task: string) => {
    await survivor.waitFor((line) => line["learned"] === task || workers.some((worker) => worker.lines.some(({ line: other }) => other["learned"] === task)), 120_000);
    return Math.min(...workers.flatMap((worker) => worker.lines.filter(({ line }) => line["learned"] === task).map(({ at }) => at)));
  };
  const workerRecoveryMs = (await learnedAt(validating.task)) - workerKilledAt;
  const agentRecoveryMs = (await learnedAt(acked)) - agentKilledAt;
  await survivor.stop();
  return { leaseSeconds, sweepSeconds: 1, workerRecoveryMs, agentEpisodeLearnedAfterMs: agentRecoveryMs };
}

try {
  console.log(`load average before: ${(await import("node:os")).loadavg().map((value) => value.toFixed(1)).join(" ")} on ${(await import("node:os")).cpus().length} cores`);
  console.log(`fleet bench: ${runs} runs, ${latencyMs} ms a model call, lease ${leaseSeconds} s, on ${chroma.url} and PostgreSQL at 127.0.0.1:${postgres.port}`);
  const journal = await serve({ journal: join(folder, "episodes.jsonl") }, `bench-${++memoryNumber}`);
  const shared = await serve({ postgres: postgres.url }, `bench-${++memoryNumber}`);
  console.log(`acknowledging a run's episode: file journal p50 ${ms(journal.ackMs.p50)} p99 ${ms(journal.ackMs.p99)}; PostgreSQL p50 ${ms(shared.ackMs.p50)} p99 ${ms(shared.ackMs.p99)}`);
  console.log(`  whole run: file journal p50 ${ms(journal.runMs.p50)} p99 ${ms(journal.runMs.p99)}; PostgreSQL p50 ${ms(shared.runMs.p50)} p99 ${ms(shared.runMs.p99)}`);
  const one = await drain(1, `bench-${memoryNumber}`);
  await serve({ postgres: postgres.url }, `bench-${++memoryNumber}`);
  const two = await drain(2, `bench-${memoryNumber}`);
  for (const result of [one, two]) {
    console.log(
      `${result.workers} worker(s): ${result.episodes} episodes learned in ${result.seconds.toFixed(1)} s = ${result.episodesPerSecond.toFixed(2)} episodes/s, ${result.mergesPerSecond.toFixed(2)} merges/s into one memory (${result.retried} retries, ${result.deadLettered} dead-lettered)`,
    );
  }
  const recovered = await recovery(`bench-${++memoryNumber}`);
  console.log(`worker SIGKILLed while validating: its episode learned by the other ${(recovered.workerRecoveryMs / 1000).toFixed(1)} s later (lease ${leaseSeconds} s + sweep 1 s)`);
  console.log(`agent SIGKILLed after an acknowledged run: that episode learned ${(recovered.agentEpisodeLearnedAfterMs / 1000).toFixed(1)} s later (it was already in the queue)`);
  const results = join(dirname(fileURLToPath(import.meta.url)), "results", "fleet.json");
  await mkdir(dirname(results), { recursive: true });
  await writeFile(results, `${JSON.stringify({ runs, latencyMs, leaseSeconds, acknowledge: { journal, shared }, throughput: [one, two], recovery: recovered }, null, 2)}\n`);
  console.log(`written ${results}`);
} finally {
  await Promise.all(started.map((fleetProcess) => fleetProcess.kill()));
  await chroma.stop();
  await postgres.stop();
  await rm(folder, { recursive: true, force: true });
}
