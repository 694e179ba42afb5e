// `lessonloop dead-letters` and `lessonloop worker` on the command line: dead letters listed and
// requeued on the file journal and on the PostgreSQL queue (its own server), and the worker's
// refusals before it opens anything.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { EpisodeSchema, type EpisodeQueue } from "@lessonloop/core";
import { createPgEpisodeQueue } from "@lessonloop/queue-pg";
import { startPostgres, type PostgresServer } from "@lessonloop/queue-pg/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "./cli.js";
import { createFileEpisodeJournal } from "./episode-journal.js";
import { failedInvoiceEpisode } from "./tests/invoice-world.js";

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

async function cli(argv: string[], env: Record<string, string | undefined> = {}) {
  let out = "";
  let err = "";
  const code = await runCli(argv, { stdout: { write: (chunk: string) => (out += chunk) }, stderr: { write: (chunk: string) => (err += chunk) }, env });
  return { code, out, err };
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
