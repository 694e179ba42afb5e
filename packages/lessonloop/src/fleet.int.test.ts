// Issue 19: the fleet with real processes on 127.0.0.1 — a PostgreSQL server (the shared episode
// queue), the test run's Chroma server (the shared memory), 3 agent processes serving runs with
// scripted models, 2 learning workers. An agent is killed with SIGKILL right after a run was
// acknowledged, and a worker in the middle of validating: no acknowledged episode is lost, each
// is learned exactly once (one lesson an episode, one merge a lesson), and the killed worker's
// episode is finished by the other. A worker killed after its merge and before the queue heard
// the episode was done: the episode comes back to the other worker, which merges nothing again.
import { ChromaLessonMemory } from "@lessonloop/chroma";
import { testChromaUrl, uniqueCollectionName } from "@lessonloop/chroma/testing";
import { randomBytes } from "node:crypto";
import { EpisodeSchema, createLexicalEmbedder } from "@lessonloop/core";
import { createPgEpisodeQueue } from "@lessonloop/queue-pg";
import { startPostgres, type PostgresServer } from "@lessonloop/queue-pg/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { customerOf, fleetTask } from "./tests/fleet-world.js";
import { failedInvoiceEpisode } from "./tests/invoice-world.js";
import { startFleetProcess, type FleetProcess } from "./tests/fleet-processes.js";

let postgres: PostgresServer;
const processes: FleetProcess[] = [];

beforeAll(async () => {
  postgres = await startPostgres();
});
afterAll(async () => {
  await Promise.all(processes.map((fleetProcess) => fleetProcess.kill()));
  await postgres?.stop();
});

const RUNS = 4;

describe("a fleet of agents and learning workers on one shared queue", () => {
  it("loses no acknowledged episode and learns each exactly once when an agent and a worker are killed", { timeout: 180_000 }, async () => {
    const chromaUrl = testChromaUrl();
    const memory = uniqueCollectionName("fleet");
    const workers = [1, 2].map((worker) =>
      startFleetProcess(`worker ${worker}`, "fleet-worker.ts", { chromaUrl, memory, postgres: postgres.url, worker, latencyMs: 40, concurrency: 1, leaseSeconds: 10 }),
    );
    processes.push(...workers);
    await Promise.all(workers.map((worker) => worker.waitFor((line) => "ready" in line)));
    const agents = [1, 2, 3].map((agent) =>
      startFleetProcess(`agent ${agent}`, "fleet-agent.ts", { chromaUrl, memory, queue: { postgres: postgres.url }, agent, runs: RUNS, leaseSeconds: 10 }),
    );
    processes.push(...agents);

    // Agent 1 dies right after its first acknowledged run.
    const [first, ...others] = agents as [FleetProcess, ...FleetProcess[]];
    await first.waitFor((line) => "ack" in line);
    await first.kill();

    // A worker dies while its validators are at work on an episode.
    const validating = await Promise.race(workers.map((worker) => worker.waitFor((line) => "validating" in line).then((line) => ({ worker, task: line["validating"] as string }))));
    await validating.worker.kill();
    const killedAt = performance.now();
    const survivor = workers.find((worker) => worker !== validating.worker) as FleetProcess;

    await Promise.all(others.map((agent) => agent.waitFor((line) => "done" in line)));
    const acknowledged = agents.flatMap((agent) => agent.lines.flatMap(({ line }) => ("ack" in line ? [line["ack"] as string] : [])));
    expect(acknowledged.length).toBeGreaterThanOrEqual(1 + 2 * RUNS);

    // Every acknowledged episode is learned: the killed worker's by the survivor, once its lease ran out.
    const learnedTasks = () => workers.flatMap((worker) => worker.lines.flatMap(({ line }) => (typeof line["learned"] === "string" ? [line["learned"]] : [])));
    for (const task of acknowledged) await survivor.waitFor(() => learnedTasks().includes(task), 90_000);
    const recovered = await survivor.waitFor((line) => line["learned"] === validating.task);
    const recoveryMs = (survivor.lines.find(({ line }) => line === recovered)?.at ?? 0) - killedAt;
    expect(recovered["attempts"]).toBe(2);
    await survivor.stop();
    await Promise.all(others.map((agent) => agent.stop()));

    // Each episode learned exactly once, across both workers.
    const learned = learnedTasks();
    expect(new Set(learned).size).toBe(learned.length);
    for (const task of acknowledged) expect(learned).toContain(task);
    expect(validating.worker.lines.some(({ line }) => line["learned"] === validating.task)).toBe(false);

    // One lesson an episode, one merge a lesson: no duplicate, no double merge.
    const shared = await ChromaLessonMemory.open({ url: chromaUrl, name: memory, embedder: createLexicalEmbedder() });
    const lessons = await shared.list({});
    const customers = lessons.map((lesson) => customerOf(lesson.trigger));
    expect(new Set(customers).size).toBe(customers.length);
    expect([...customers].sort()).toEqual(learned.map((task) => customerOf(task)).sort());
    const commits = (await shared.history({ limit: 1_000 })).filter((snapshot) => snapshot.kind === "commit");
    expect(commits.flatMap((snapshot) => snapshot.change.added).sort()).toEqual(lessons.map((lesson) => lesson.id).sort());
    console.info(`[fleet] ${acknowledged.length} acknowledged, ${learned.length} learned, ${lessons.length} lessons; the killed worker's episode learned again ${Math.round(recoveryMs)} ms after the kill`);
  });

  it("does not merge again the lesson of an episode whose worker was killed between its merge and its completion", { timeout: 120_000 }, async () => {
    const chromaUrl = testChromaUrl();
    const memory = uniqueCollectionName("fleet-merged");
    // A queue of its own, so its short lease is not the other test's.
    const queueName = `fleet_merged_${randomBytes(4).toString("hex")}`;
    const settings = { chromaUrl, memory, postgres: postgres.url, latencyMs: 20, concurrency: 1, leaseSeconds: 6, queueName };
    const dying = startFleetProcess("worker 1", "fleet-worker.ts", { ...settings, worker: 1, holdCompletion: true });
    processes.push(dying);
    await dying.waitFor((line) => "ready" in line);
    const queue = await createPgEpisodeQueue({ connectionString: postgres.url, name: queueName, leaseSeconds: 6, sweepIntervalSeconds: 1, poolSize: 1 });
    const task = fleetTask(9, 1);
    await queue.enqueue([EpisodeSchema.parse(failedInvoiceEpisode("merged-then-killed", undefined, task))]);
    await queue.close();

    // Its lesson is merged; the worker dies before the queue hears the episode is done.
    await dying.waitFor((line) => line["completing"] === task, 60_000);
    await dying.kill();
    const shared = await ChromaLessonMemory.open({ url: chromaUrl, name: memory, embedder: createLexicalEmbedder() });
    const [merged, ...others] = await shared.list({});
    expect(others).toEqual([]);
    expect(customerOf(merged?.trigger ?? "")).toBe("C9x1");

    // After the lease, the other worker takes it again and learns it without a second merge.
    const survivor = startFleetProcess("worker 2", "fleet-worker.ts", { ...settings, worker: 2 });
    processes.push(survivor);
    const learned = await survivor.waitFor((line) => line["learned"] === task, 60_000);
    expect(learned).toMatchObject({ attempts: 2, merged: 0 });
    await survivor.stop();
    const fresh = await ChromaLessonMemory.open({ url: chromaUrl, name: memory, embedder: createLexicalEmbedder() });
    expect((await fresh.list({})).map((lesson) => lesson.id)).toEqual([merged?.id]);
    const commits = (await fresh.history({ limit: 100 })).filter((snapshot) => snapshot.kind === "commit");
    expect(commits.flatMap((snapshot) => snapshot.change.added)).toEqual([merged?.id]);
  });
});
