// The agent process of the Chroma-restart scenario: a graph with learning dropped in
// (background learning, a file journal), running numbered tasks and reporting what
// became of every run and every episode.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { HumanMessage } from "@langchain/core/messages";
import { ChromaEdgeCaseStore, ChromaLessonMemory } from "@lessonloop/chroma";
import { createLexicalEmbedder } from "@lessonloop/core";
import { parseWith } from "@lessonloop/core/internal";
import { createFileEpisodeJournal, createLearningLoop, withLearning } from "lessonloop";
import { sendToParent } from "./child-process.js";
import { RestartAgentInputSchema, type RestartAgentMessage } from "./restart-agent-protocol.js";
import { createRestartAgent, createRestartLearnerModel, restartEvaluator, restartRunner, restartTask, restartValidators } from "./restart-world.js";

const send = (message: RestartAgentMessage) => sendToParent(message);

async function main(): Promise<void> {
  const input = parseWith(RestartAgentInputSchema, JSON.parse(process.argv[2] ?? "null"), "restart agent input");
  const embedder = createLexicalEmbedder();
  const memory = await ChromaLessonMemory.open({ url: input.chromaUrl, name: input.memoryName, embedder, freshnessMs: 0 });
  const edgeCaseStore = await ChromaEdgeCaseStore.open({ url: input.chromaUrl, collection: `${input.memoryName}-cases`, embedder });
  let replayed = 0;
  let warned = false;
  const loop = await createLearningLoop({
    learnerModel: createRestartLearnerModel(),
    validators: restartValidators,
    runner: restartRunner,
    criticModel: null,
    evaluator: restartEvaluator,
    memory,
    edgeCaseStore,
    embedder,
    background: { journal: createFileEpisodeJournal({ path: input.journalPath }), retryDelayMs: 100, maxRetryDelayMs: 500 },
    onEvent: (event) => {
      if (event.type === "journal_replayed") replayed = event.episodeIds.length;
      if (event.type === "episode_learned") send({ type: "learned", episodeId: event.episodeId, merged: event.result.merged.length });
      if (event.type === "learning_failed") send({ type: "learning_failed", episodeId: event.episodeId, retrying: event.retryInMs !== undefined, error: String(event.error).slice(0, 300) });
      if (event.type === "warning" && event.source === "retriever") warned = true;
    },
  });
  send({ type: "ready", replayed });

  let episodeId: string | undefined;
  const agent = withLearning(createRestartAgent(), {
    loop,
    scope: { tenant: "acme" },
    learning: "background",
    retriever: { timeoutMs: 500 },
    onEpisode: (episode) => (episodeId = episode.id),
  });
  for (let task = input.from; task < input.to; task++) {
    if (input.holdAt.includes(task)) {
      send({ type: "holding", task });
      while (!existsSync(join(input.gateDir, `go-${task}`))) await new Promise((resolve) => setTimeout(resolve, 10));
    }
    episodeId = undefined;
    warned = false;
    try {
      const result = await agent.invoke({ messages: [new HumanMessage(restartTask(task, input.failEvery))] });
      const answer = String(result.messages.at(-1)?.content ?? "");
      if (episodeId === undefined) send({ type: "run_failed", task, error: "no episode was recorded" });
      else send({ type: "answered", task, episodeId, answer, warned });
    } catch (error) {
      send({ type: "run_failed", task, error: String(error).slice(0, 300) });
    }
    await new Promise((resolve) => setTimeout(resolve, input.pauseMs));
  }
  if (!input.drain) {
    // Keeps learning (and retrying) until the scenario kills this process.
    setInterval(() => undefined, 60_000);
    return;
  }
  await loop.idle();
  const lessons = (await memory.list()).length;
  await loop.close({ timeoutMs: 5_000 });
  send({ type: "drained", lessons });
  process.exit(0);
}

await main();
