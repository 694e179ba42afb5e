import { LessonloopError, type EpisodeQueue } from "@lessonloop/core";
import type { BaseChatModel } from "@langchain/core/language_models/chat_models";
import { createFileEpisodeJournal } from "../episode-journal.js";
import { createLearningLoop } from "../learning-loop.js";
import { createLearningWorker, type LearningWorkerEvent } from "../learning-worker.js";
import type { Command, GlobalOptions } from "./command-line.js";
import type { CommandOutput } from "./commands.js";

type CommandOf<N extends Command["name"]> = Extract<Command, { name: N }>;

/** Where the commands' output goes, and what stops a worker. */
export interface QueueCommandIo {
  write(line: string): void;
  env: Readonly<Record<string, string | undefined>>;
  signal: AbortSignal | undefined;
}

/** Dynamic imports of optional peers, so the embedded default installs neither pg nor OpenAI's client. */
async function optionalPeer<T>(name: string, load: () => Promise<T>): Promise<T> {
  try {
    return await load();
  } catch (cause) {
    throw new LessonloopError("invalid_input", `This command needs the package ${name}, which could not be loaded: install it next to lessonloop (npm i ${name}).`, { cause });
  }
}

/**
 * A `postgres://` URL opens the fleet's shared queue; anything else is a file
 * journal's path. Without `leaseSeconds` the queue keeps the lease it has.
 */
export async function openEpisodeQueue(spec: string, { leaseSeconds }: { leaseSeconds?: number | undefined } = {}): Promise<EpisodeQueue> {
  if (/^postgres(ql)?:\/\//i.test(spec)) {
    const { createPgEpisodeQueue } = await optionalPeer("@lessonloop/queue-pg", () => import("@lessonloop/queue-pg"));
    return createPgEpisodeQueue({ connectionString: spec, ...(leaseSeconds === undefined ? {} : { leaseSeconds }) });
  }
  return createFileEpisodeJournal({ path: spec });
}

/** `lessonloop dead-letters`: lists the dead letters, or requeues some. */
export async function deadLetters(command: CommandOf<"dead-letters">): Promise<CommandOutput> {
  const queue = await openEpisodeQueue(command.queue);
  try {
    if (command.requeue.length > 0) {
      const requeued = await queue.requeueDead(command.requeue);
      const missing = command.requeue.length - requeued;
      return {
        text: `Requeued ${requeued} episode(s)${missing === 0 ? "" : `; ${missing} of the ids given are not dead letters`}. A worker learns them next.`,
        json: { requeued, notFound: missing },
      };
    }
    const letters = await queue.deadLetters(command.limit);
    const lines = letters.map((letter) => `${letter.failedAt}  ${letter.episode.id}  ${letter.code ?? "error"} after ${letter.attempts} attempt(s): ${letter.message.split("\n")[0]?.slice(0, 300)}\n    task: ${letter.episode.input.slice(0, 200)}`);
    return {
      text: letters.length === 0 ? "No dead letters." : [`${letters.length} dead letter(s), oldest first:`, ...lines, "", "Requeue once fixed: lessonloop dead-letters --queue … --requeue <id>[,<id>…]"].join("\n"),
      json: letters,
    };
  } finally {
    await queue.close();
  }
}

function describe(event: LearningWorkerEvent): string {
  const why = (error: unknown) => (error instanceof Error ? error.message : String(error)).split("\n")[0];
  switch (event.type) {
    case "learned":
      return `learned ${event.episodeId} (attempt ${event.attempts}): ${event.result.merged.length} merged, ${event.result.lessons.length - event.result.merged.length} not`;
    case "retrying":
      return `retrying ${event.episodeId} later (attempt ${event.attempts} failed): ${why(event.error)}`;
    case "dead_lettered":
      return `dead-lettered ${event.episodeId} after ${event.attempts} attempt(s): ${why(event.error)}`;
    case "handed_back":
      return `handed back ${event.episodeIds.length} unfinished episode(s): ${event.episodeIds.join(", ")}`;
    case "queue_error":
      return `the queue failed: ${why(event.error)}`;
  }
}

/**
 * `lessonloop worker`: a learning loop on the memory at the Chroma server, its
 * learner and validators on the OpenAI-compatible endpoint the environment
 * names, and a worker on the queue until `signal` aborts; then unfinished
 * episodes go back to the queue. Prints one line an event (JSON with --json).
 */
export async function runWorker(command: CommandOf<"worker">, global: GlobalOptions, io: QueueCommandIo): Promise<void> {
  const baseURL = io.env["LESSONLOOP_OPENAI_BASE_URL"];
  const apiKey = io.env["LESSONLOOP_OPENAI_API_KEY"] ?? "";
  if (command.model === undefined || baseURL === undefined || baseURL === "") {
    throw new LessonloopError(
      "invalid_input",
      "The worker's learner and validators need a model: set LESSONLOOP_OPENAI_BASE_URL (an OpenAI-compatible endpoint), LESSONLOOP_OPENAI_API_KEY and LESSONLOOP_MODEL (or --model). To run with your own models, use createLearningWorker from code.",
    );
  }
  const { ChatOpenAI } = await optionalPeer("@langchain/openai", () => import("@langchain/openai"));
  const model = command.model;
  const chat = (): BaseChatModel => new ChatOpenAI({ model, apiKey: apiKey === "" ? "none" : apiKey, configuration: { baseURL } });
  const queue = await openEpisodeQueue(command.queue, { leaseSeconds: command.leaseSeconds });
  try {
    const loop = await createLearningLoop({
      learnerModel: chat(),
      validatorModels: Array.from({ length: command.validators }, chat),
      chromaUrl: global.chromaUrl,
      memoryName: global.memory,
      background: { concurrency: command.concurrency },
      logVerdicts: "always",
    });
    const worker = createLearningWorker({
      queue,
      loop,
      concurrency: command.concurrency,
      maxAttempts: command.maxAttempts,
      onEvent: (event) => io.write(global.json ? JSON.stringify({ event: event.type, ...("episodeId" in event ? { episodeId: event.episodeId } : {}), line: describe(event) }) : describe(event)),
    });
    io.write(global.json ? JSON.stringify({ event: "started", queue: command.queue.replace(/\/\/[^@/]*@/, "//***@"), memory: global.memory }) : `worker started on memory "${global.memory}"; stop with Ctrl-C`);
    await new Promise<void>((resolve) => {
      if (io.signal === undefined || io.signal.aborted) return resolve();
      io.signal.addEventListener("abort", () => resolve(), { once: true });
    });
    const report = await worker.stop();
    await loop.close();
    io.write(
      global.json
        ? JSON.stringify({ event: "stopped", ...report })
        : `worker stopped: ${report.learned} learned, ${report.retried} retried, ${report.deadLettered} dead-lettered, ${report.handedBack.length} handed back`,
    );
  } finally {
    await queue.close();
  }
}
