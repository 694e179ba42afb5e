// One agent replica: its graph with withLearning, lessons from the shared memory, each run's
// episode to the shared queue. One JSON argument: { chromaUrl, memory, postgres, agent, runs, pauseMs }.
// Prints one JSON line a run ({ agent, task, ok, answer }) once it returns — its episode is then
// in the queue — and { done } at the end.
import { HumanMessage } from "@langchain/core/messages";
import { createPgEpisodeQueue } from "@lessonloop/queue-pg";
import { createLearningLoop, withLearning } from "lessonloop";
import { z } from "zod";
import { SCOPE, createAgentGraph, loopParams, taskOf } from "./world.js";

const input = z
  .object({ chromaUrl: z.string(), memory: z.string(), postgres: z.string(), agent: z.number().int(), runs: z.number().int(), pauseMs: z.number() })
  .parse(JSON.parse(process.argv[2] ?? "{}"));

const queue = await createPgEpisodeQueue({ connectionString: input.postgres, leaseSeconds: 10, sweepIntervalSeconds: 2 });
// The agent's loop only reads memory: learning happens in the workers.
const loop = await createLearningLoop({ ...loopParams(), chromaUrl: input.chromaUrl, memoryName: input.memory });
const agent = withLearning(createAgentGraph(), { loop, scope: SCOPE, queue });

for (let run = 1; run <= input.runs; run++) {
  const task = taskOf(input.agent, run);
  const { messages } = await agent.invoke({ messages: [new HumanMessage(task)] });
  const answer = String(messages.at(-1)?.content ?? "");
  console.log(JSON.stringify({ agent: input.agent, task, ok: answer.startsWith("Done"), answer }));
  await new Promise((resolve) => setTimeout(resolve, input.pauseMs));
}
await loop.close();
await queue.close();
console.log(JSON.stringify({ done: input.agent }));
