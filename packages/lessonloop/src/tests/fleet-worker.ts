// A learning worker of the fleet (fleet.int.test.ts, bench/fleet-bench.ts): createLearningWorker
// on the shared queue, merging into the shared memory on Chroma, with scripted models of a fixed
// latency. One JSON argument: { chromaUrl, memory, postgres, worker, latencyMs, concurrency,
// leaseSeconds, queueName?, holdCompletion? }.
// Prints { ready }, { took: [task…] }, { validating: task } when the validators' first call for
// an episode is made, { learned: task, episodeId, merged, attempts } and the worker's other
// events; on SIGTERM stops gracefully (handing unfinished episodes back) and prints { stopped }.
// With holdCompletion, an episode learned (its lesson merged) is never completed: the worker
// prints { completing: task } and waits there, to be killed between its merge and completion.
import type { EpisodeQueue } from "@lessonloop/core";
import { createPgEpisodeQueue } from "@lessonloop/queue-pg";
import { z } from "zod";
import { createLearningLoop, createLearningWorker } from "../index.js";
import { fleetLoopParams, say } from "./fleet-world.js";

const InputSchema = z
  .object({
    chromaUrl: z.string().url(),
    memory: z.string().min(1),
    postgres: z.string().min(1),
    worker: z.number().int().min(1),
    latencyMs: z.number().min(0),
    concurrency: z.number().int().min(1).default(1),
    leaseSeconds: z.number().int().min(1).default(8),
    queueName: z.string().min(1).optional(),
    holdCompletion: z.boolean().default(false),
  })
  .strict();
const input = InputSchema.parse(JSON.parse(process.argv[2] ?? "{}"));

const opened = await createPgEpisodeQueue({
  connectionString: input.postgres,
  ...(input.queueName === undefined ? {} : { name: input.queueName }),
  leaseSeconds: input.leaseSeconds,
  sweepIntervalSeconds: 1,
  poolSize: 2,
});
const tasks = new Map<string, string>();
const queue: EpisodeQueue = {
  ...opened,
  leaseMs: opened.leaseMs,
  async take(limit) {
    const taken = await opened.take(limit);
    for (const entry of taken) tasks.set(entry.episode.id, entry.episode.input);
    if (taken.length > 0) say({ took: taken.map((entry) => entry.episode.input), worker: input.worker });
    return taken;
  },
  async complete(taken) {
    if (!input.holdCompletion) return opened.complete(taken);
    say({ completing: tasks.get(taken.episode.id), worker: input.worker });
    await new Promise<never>(() => undefined);
  },
};
const { peers, params } = fleetLoopParams({ latencyMs: input.latencyMs });
const loop = await createLearningLoop({
  ...params,
  chromaUrl: input.chromaUrl,
  memoryName: input.memory,
  background: { concurrency: input.concurrency },
  onEvent: () => undefined,
});

// Validation under way: a peer was asked since the last take (concurrency 1 in the fleet test).
let peerCalls = 0;
const watch = setInterval(() => {
  const calls = peers.reduce((sum, peer) => sum + peer.callCount, 0);
  if (calls > peerCalls && peerCalls >= 0) say({ validating: [...tasks.values()].at(-1), worker: input.worker });
  peerCalls = calls;
}, 20);
watch.unref();

const worker = createLearningWorker({
  queue,
  loop,
  concurrency: input.concurrency,
  pollIntervalMs: 100,
  learnTimeoutMs: Math.floor(input.leaseSeconds * 750),
  onEvent(event) {
    if (event.type === "learned") say({ learned: tasks.get(event.episodeId), episodeId: event.episodeId, merged: event.result.merged.length, verdicts: event.result.lessons.map(({ outcome, verdict }) => `${outcome.status}: ${verdict.reason}`), candidates: event.result.candidates.length, attempts: event.attempts, worker: input.worker });
    else say({ event: event.type, worker: input.worker, ...("episodeId" in event ? { episodeId: event.episodeId } : {}), ...("error" in event ? { error: String(event.error) } : {}) });
  },
});
say({ ready: input.worker });

process.once("SIGTERM", () => {
  void (async () => {
    const report = await worker.stop({ timeoutMs: 2_000 });
    await loop.close({ timeoutMs: 1_000 });
    await opened.close();
    say({ stopped: input.worker, report });
    process.exit(0);
  })();
});
