// An agent replica of the fleet (fleet.int.test.ts, bench/fleet-bench.ts): a hand-built graph
// with withLearning, lessons from the shared memory on Chroma, episodes to the shared queue.
// One JSON argument: { chromaUrl, memory, queue: { postgres } | { journal }, agent, runs }.
// Prints { ready } once up, then { ack, task, ms, enqueueMs } after each run returns (the run's
// episode is then held by the queue), then { done } — and keeps running until SIGTERM.
import { HumanMessage } from "@langchain/core/messages";
import type { EpisodeQueue } from "@lessonloop/core";
import { createPgEpisodeQueue } from "@lessonloop/queue-pg";
import { z } from "zod";
import { createFileEpisodeJournal, createLearningLoop, withLearning } from "../index.js";
import { createFleetAgentModel, fleetLoopParams, fleetTask, say } from "./fleet-world.js";
import { SCOPE, createAgentBuilder } from "./invoice-world.js";

const InputSchema = z
  .object({
    chromaUrl: z.string().url(),
    memory: z.string().min(1),
    queue: z.union([z.object({ postgres: z.string().min(1) }).strict(), z.object({ journal: z.string().min(1) }).strict()]),
    agent: z.number().int().min(1),
    runs: z.number().int().min(0),
    leaseSeconds: z.number().int().min(1).default(8),
  })
  .strict();
const input = InputSchema.parse(JSON.parse(process.argv[2] ?? "{}"));

const opened: EpisodeQueue =
  "postgres" in input.queue
    ? await createPgEpisodeQueue({ connectionString: input.queue.postgres, leaseSeconds: input.leaseSeconds, sweepIntervalSeconds: 1, poolSize: 2 })
    : createFileEpisodeJournal({ path: input.queue.journal });
// Times the acknowledgement itself: the part of a run's latency the queue adds.
let enqueueMs = 0;
const queue: EpisodeQueue = {
  ...opened,
  leaseMs: opened.leaseMs,
  async enqueue(episodes) {
    const started = performance.now();
    await opened.enqueue(episodes);
    enqueueMs = performance.now() - started;
  },
};
const loop = await createLearningLoop({ ...fleetLoopParams({ latencyMs: 0 }).params, chromaUrl: input.chromaUrl, memoryName: input.memory, onEvent: () => undefined });
const graph = withLearning(createAgentBuilder(createFleetAgentModel()), { loop, scope: SCOPE, queue });
say({ ready: input.agent });

const stop = async () => {
  await loop.close({ timeoutMs: 1_000 });
  await opened.close();
  process.exit(0);
};
process.once("SIGTERM", () => void stop());

for (let run = 1; run <= input.runs; run++) {
  const task = fleetTask(input.agent, run);
  const started = performance.now();
  await graph.invoke({ messages: [new HumanMessage(task)] }, { configurable: { thread_id: `agent-${input.agent}-run-${run}` } });
  const ms = performance.now() - started;
  // withLearning reports a failed enqueue as a warning and the run still returns: only a run whose episode the queue holds is acknowledged.
  if (enqueueMs > 0) say({ ack: task, ms, enqueueMs });
  else say({ unacknowledged: task });
  enqueueMs = 0;
}
say({ done: input.agent });
