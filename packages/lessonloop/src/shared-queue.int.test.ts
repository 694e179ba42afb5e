// withLearning and lessonloopMiddleware given a shared queue: a background run's episode goes to
// the queue (the run returns once the queue holds it) and the loop learns nothing itself; a queue
// that cannot take it is a `queue` warning, and the run still answers.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { HumanMessage } from "@langchain/core/messages";
import { LessonloopError, type EpisodeQueue } from "@lessonloop/core";
import { createAgent } from "langchain";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createFileEpisodeJournal, type FileEpisodeJournal } from "./episode-journal.js";
import type { LearningEvent } from "./learning-events.js";
import type { LearningLoop } from "./learning-loop.js";
import { lessonloopMiddleware } from "./lessonloop-middleware.js";
import { openInvoiceLoop } from "./tests/invoice-loop.js";
import { INVOICE_TASK, SCOPE, TOOLS, createAgentBuilder, createAgentModel } from "./tests/invoice-world.js";
import { withLearning } from "./with-learning.js";

let folder: string;
let journal: FileEpisodeJournal;
let loop: LearningLoop;
let events: LearningEvent[];

beforeEach(async () => {
  folder = await mkdtemp(join(tmpdir(), "lessonloop-shared-queue-"));
  journal = createFileEpisodeJournal({ path: join(folder, "episodes.jsonl") });
  ({ loop, events } = await openInvoiceLoop({ name: "shared-queue" }));
});
afterEach(async () => {
  await loop.close({ timeoutMs: 1_000 });
  await journal.close();
  await rm(folder, { recursive: true, force: true });
});

/** A queue whose every enqueue fails, as an unreachable PostgreSQL would. */
const unreachable = (queue: EpisodeQueue): EpisodeQueue => ({
  ...queue,
  leaseMs: queue.leaseMs,
  enqueue: async () => {
    throw new LessonloopError("store_unavailable", "Could not enqueue 1 episode(s): connection refused");
  },
});

describe.each([
  ["withLearning", (queue: EpisodeQueue) => withLearning(createAgentBuilder(createAgentModel()), { loop, scope: SCOPE, queue })],
  ["lessonloopMiddleware", (queue: EpisodeQueue) => createAgent({ model: createAgentModel(), tools: TOOLS, middleware: [lessonloopMiddleware(loop, { scope: SCOPE, queue })] })],
] as const)("%s with a shared queue", (_, attach) => {
  it("hands the run's episode to the queue before the run returns, and learns nothing in this process", async () => {
    const agent = attach(journal);
    await agent.invoke({ messages: [new HumanMessage(INVOICE_TASK)] });
    const [taken] = await journal.take(10);
    expect(taken?.episode).toMatchObject({ input: INVOICE_TASK, scope: SCOPE });
    await loop.idle();
    expect(events.filter((event) => event.type === "episode_learned")).toEqual([]);
    expect(await loop.memory.list({})).toEqual([]);
  });

  it("answers when the queue cannot take the episode, and reports it as a queue warning", async () => {
    const agent = attach(unreachable(journal));
    const { messages } = await agent.invoke({ messages: [new HumanMessage(INVOICE_TASK)] });
    expect(messages.at(-1)?.content).toBeTruthy();
    const warning = events.find((event) => event.type === "warning" && event.source === "queue");
    expect(warning).toMatchObject({ source: "queue", warning: { message: expect.stringContaining("connection refused") } });
  });
});
