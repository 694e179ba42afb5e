// One learning worker: takes episodes from the shared queue and learns them into the shared
// memory. One JSON argument: { chromaUrl, memory, postgres, worker, latencyMs }. Prints { ready },
// then one JSON line an event; on SIGTERM hands unfinished episodes back and prints { stopped }.
import { createPgEpisodeQueue } from "@lessonloop/queue-pg";
import { createLearningLoop, createLearningWorker } from "lessonloop";
import { z } from "zod";
import { loopParams } from "./world.js";

const input = z
  .object({ chromaUrl: z.string(), memory: z.string(), postgres: z.string(), worker: z.number().int(), latencyMs: z.number() })
  .parse(JSON.parse(process.argv[2] ?? "{}"));

const queue = await createPgEpisodeQueue({ connectionString: input.postgres, leaseSeconds: 10, sweepIntervalSeconds: 2 });
const loop = await createLearningLoop({ ...loopParams(input.latencyMs), chromaUrl: input.chromaUrl, memoryName: input.memory });
const worker = createLearningWorker({
  queue,
  loop,
  pollIntervalMs: 200,
  onEvent: (event) =>
    console.log(JSON.stringify(event.type === "learned" ? { worker: input.worker, learned: event.episodeId, merged: event.result.merged.length } : { worker: input.worker, event: event.type })),
});
console.log(JSON.stringify({ ready: input.worker }));

process.once("SIGTERM", () => {
  void (async () => {
    const report = await worker.stop();
    await loop.close();
    await queue.close();
    console.log(JSON.stringify({ stopped: input.worker, report }));
    process.exit(0);
  })();
});
