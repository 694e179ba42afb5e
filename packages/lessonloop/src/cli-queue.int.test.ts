// `lessonloop dead-letters` and `lessonloop worker` on the command line: dead letters listed and
// requeued on the file journal and on the PostgreSQL queue (its own server), and the worker's
// refusals before it opens anything.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ChromaLessonMemory } from "@lessonloop/chroma";
import { testChromaUrl, uniqueCollectionName } from "@lessonloop/chroma/testing";
import { EpisodeSchema, createLexicalEmbedder, type EpisodeQueue } from "@lessonloop/core";
import { messageText, startOpenAiProtocolServer, type ChatCompletionAnswer, type ChatCompletionRequest } from "@lessonloop/core/testing";
import { createPgEpisodeQueue } from "@lessonloop/queue-pg";
import { startPostgres, type PostgresServer } from "@lessonloop/queue-pg/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "./cli.js";
import { createFileEpisodeJournal } from "./episode-journal.js";
import { RIGHT_LESSON, decide, failedInvoiceEpisode } from "./tests/invoice-world.js";

let postgres: PostgresServer;
let folder: string;

beforeAll(async () => {
  postgres = await startPostgres();
  folder = await mkdtemp(join(tmpdir(), "lessonloop-cli-queue-"));
});
afterAll(async () => {
  await postgres?.stop();
  await rm(folder, { recursive: true, force: true });
});

async function cli(argv: string[], env: Record<string, string | undefined> = {}, signal?: AbortSignal, onOut?: (out: string) => void) {
  let out = "";
  let err = "";
  const write = (chunk: string) => {
    out += chunk;
    onOut?.(out);
  };
  const code = await runCli(argv, { stdout: { write }, stderr: { write: (chunk: string) => (err += chunk) }, env, ...(signal === undefined ? {} : { signal }) });
  return { code, out, err };
}

/** The learner and the peers behind an OpenAI-compatible endpoint: the invoice world's right lesson, and peers that follow the lessons in their prompt. */
function answer(request: ChatCompletionRequest): ChatCompletionAnswer | Error {
  const name = request.response_format?.json_schema?.name ?? request.tools?.[0]?.function.name;
  const { messages } = request;
  const value = (() => {
    if (name === "propose_lessons") return { lessons: [RIGHT_LESSON] };
    if (name === "compare_lessons") return { relation: "different", reason: "another situation" };
    const human = messageText(messages.at(-1));
    if (name === "agent_decision") {
      const task = /Task:\n([\s\S]*?)\n\nWhat is the agent's next step\?/.exec(human)?.[1] ?? "";
      const decision = decide(task, messages.filter((message) => message.role === "system").map(messageText).join("\n"));
      return "answer" in decision ? { action: "answer", answer: decision.answer } : { action: "tool_call", tool: decision.name, args: decision.args };
    }
    if (name === "rubric_judgement") {
      const passed = /amount_cents/.test(human.slice(human.indexOf("The agent's decision:"), human.indexOf("Rubric:")));
      return { passed, reason: passed ? "sent in cents" : "rejected again" };
    }
    return new Error(`unexpected call ${name ?? "(none)"}`);
  })();
  return value instanceof Error ? value : { content: JSON.stringify(value) };
}

/** One episode dead-lettered in `queue`, which is closed after. */
async function oneDeadLetter(queue: EpisodeQueue, id: string): Promise<void> {
  await queue.enqueue([EpisodeSchema.parse(failedInvoiceEpisode(id))]);
  const [taken] = await queue.take(1);
  await queue.deadLetter(taken as EpisodeQueue.Taken, { message: "the learner's answer never parsed", code: "model_output_invalid" });
  await queue.close();
}

describe("lessonloop dead-letters", () => {
  it.each([
    ["a file journal", async (id: string) => join(folder, `${id}.jsonl`), (spec: string) => Promise.resolve(createFileEpisodeJournal({ path: spec }))],
    ["PostgreSQL", async () => postgres.url, (spec: string) => createPgEpisodeQueue({ connectionString: spec })],
  ] as const)("lists the dead letters of %s with why, and requeues them", async (_, specOf, open) => {
    const id = `dead-${Math.random().toString(36).slice(2, 8)}`;
    const spec = await specOf(id);
    await oneDeadLetter(await open(spec), id);

    const listed = await cli(["dead-letters", "--queue", spec]);
    expect(listed, listed.err).toMatchObject({ code: 0, err: "" });
    expect(listed.out).toContain(id);
    expect(listed.out).toContain("model_output_invalid after 1 attempt(s): the learner's answer never parsed");
    const json = await cli(["dead-letters", "--json"], { LESSONLOOP_QUEUE: spec });
    expect(JSON.parse(json.out)).toMatchObject([{ episode: { id }, code: "model_output_invalid", attempts: 1 }]);

    const requeued = await cli(["dead-letters", "--queue", spec, "--requeue", `${id},not-dead`, "--json"]);
    expect(JSON.parse(requeued.out)).toEqual({ requeued: 1, notFound: 1 });
    expect((await cli(["dead-letters", "--queue", spec])).out).toContain("No dead letters.");
    const queue = await open(spec);
    try {
      expect((await queue.take(10)).map((taken) => taken.episode.id)).toEqual([id]);
    } finally {
      await queue.close();
    }
  });

  it("needs a queue: exit 2 naming --queue and LESSONLOOP_QUEUE", async () => {
    const result = await cli(["dead-letters"]);
    expect(result.code).toBe(2);
    expect(result.err).toContain("--queue");
  });
});

describe("lessonloop worker", () => {
  it("learns the queue's episodes into the memory with models on an OpenAI-compatible endpoint, and stops on its signal", { timeout: 120_000 }, async () => {
    const server = await startOpenAiProtocolServer({ respond: answer });
    const path = join(folder, "worker.jsonl");
    const journal = createFileEpisodeJournal({ path });
    await journal.enqueue([EpisodeSchema.parse(failedInvoiceEpisode("cli-w1"))]);
    await journal.close();
    const memory = uniqueCollectionName("cli-worker");
    const stop = new AbortController();
    try {
      const env = { LESSONLOOP_OPENAI_BASE_URL: server.baseURL, LESSONLOOP_OPENAI_API_KEY: "test-key", LESSONLOOP_MODEL: "test-model", CHROMA_URL: testChromaUrl() };
      const result = await cli(["worker", "--queue", path, "--memory", memory], env, stop.signal, (out) => {
        if (out.includes("learned cli-w1")) stop.abort();
      });
      expect(result, result.err).toMatchObject({ code: 0 });
      expect(result.out).toContain("learned cli-w1 (attempt 1): 1 merged");
      expect(result.out).toContain("worker stopped: 1 learned, 0 retried, 0 dead-lettered, 0 handed back");
      const lessons = await (await ChromaLessonMemory.open({ url: testChromaUrl(), name: memory, embedder: createLexicalEmbedder() })).list({});
      expect(lessons.map((lesson) => lesson.trigger)).toEqual([RIGHT_LESSON.trigger]);
      expect(server.requests.every((request) => request.model === "test-model")).toBe(true);
    } finally {
      stop.abort();
      await server.close();
    }
  });

  it("refuses to start without a model endpoint, saying which variables to set", async () => {
    const result = await cli(["worker", "--queue", join(folder, "w.jsonl"), "--chroma-url", "http://127.0.0.1:9"]);
    expect(result.code).toBe(1);
    expect(result.err).toContain("LESSONLOOP_OPENAI_BASE_URL");
  });

  it("refuses a concurrency that is not a whole number from 1 to 64 (exit 2)", async () => {
    const result = await cli(["worker", "--queue", "q.jsonl", "--chroma-url", "http://127.0.0.1:9", "--concurrency", "0"]);
    expect(result.code).toBe(2);
    expect(result.err).toContain("Invalid --concurrency");
  });
});
