import { randomBytes } from "node:crypto";
import { EpisodeSchema, LessonloopError, type EpisodeQueue } from "@lessonloop/core";
import { describeEpisodeQueueConformance, refundEpisodeFixture } from "@lessonloop/core/conformance";
import { rejectionOf } from "@lessonloop/core/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPgEpisodeQueue } from "./pg-episode-queue.js";
import { startPostgres, type PostgresServer } from "./testing/postgres-server.js";

let server: PostgresServer;
const nameOf = new WeakMap<EpisodeQueue, string>();

beforeAll(async () => {
  server = await startPostgres();
});

afterAll(async () => {
  await server?.stop();
});

/** Short leases and a fast sweep, so a dead holder's episode comes back within seconds. */
async function open(name: string): Promise<EpisodeQueue> {
  const queue = await createPgEpisodeQueue({ connectionString: server.url, name, leaseSeconds: 5, sweepIntervalSeconds: 1, retryDelaySeconds: 1, poolSize: 2 });
  nameOf.set(queue, name);
  return queue;
}

const freshName = () => `episodes_${randomBytes(5).toString("hex")}`;

describeEpisodeQueueConformance({
  name: "PostgreSQL (pg-boss)",
  retryWithinMs: 8_000,
  createQueue: () => open(freshName()),
  async reopen(queue) {
    await queue.close();
    return open(nameOf.get(queue) as string);
  },
  openSecond: (queue) => open(nameOf.get(queue) as string),
});

describe("PostgreSQL episode queue", () => {
  const episode = (id: string) => EpisodeSchema.parse(refundEpisodeFixture({ id }));

  it("keeps every acknowledged episode when the PostgreSQL server itself is killed with SIGKILL", async () => {
    const name = freshName();
    const queue = await open(name);
    const acknowledged: string[] = [];
    for (let index = 0; index < 30; index++) {
      await queue.enqueue([episode(`e${index}`)]);
      acknowledged.push(`e${index}`);
    }
    await server.kill();
    const refused = await rejectionOf(queue.enqueue([episode("while-down")]));
    expect(LessonloopError.isInstance(refused, "store_unavailable")).toBe(true);
    await queue.close();
    await server.restart();
    const reopened = await open(name);
    try {
      const taken: string[] = [];
      for (let batch = await reopened.take(50); batch.length > 0; batch = await reopened.take(50)) taken.push(...batch.map((entry) => entry.episode.id));
      expect(taken.sort()).toEqual([...acknowledged].sort());
    } finally {
      await reopened.close();
    }
  });

  it("keeps the queue's stored lease for a process that names none (an agent), and lets one that names another set it for all", async () => {
    const name = freshName();
    const worker = await open(name);
    const agent = await createPgEpisodeQueue({ connectionString: server.url, name, poolSize: 1 });
    const later = await createPgEpisodeQueue({ connectionString: server.url, name, poolSize: 1 });
    try {
      expect([worker.leaseMs, agent.leaseMs, later.leaseMs]).toEqual([5_000, 5_000, 5_000]);
      const longer = await createPgEpisodeQueue({ connectionString: server.url, name, leaseSeconds: 60, poolSize: 1 });
      await longer.close();
      const next = await createPgEpisodeQueue({ connectionString: server.url, name, poolSize: 1 });
      expect(next.leaseMs).toBe(60_000);
      await next.close();
      // A new queue named with no lease gets the default.
      const fresh = await createPgEpisodeQueue({ connectionString: server.url, name: freshName(), poolSize: 1 });
      expect(fresh.leaseMs).toBe(900_000);
      await fresh.close();
    } finally {
      await Promise.all([worker.close(), agent.close(), later.close()]);
    }
  });

  it("refuses a schema name that is not a plain SQL name", async () => {
    const error = await rejectionOf(createPgEpisodeQueue({ connectionString: server.url, schema: "x; drop table" }));
    expect(LessonloopError.isInstance(error, "invalid_input")).toBe(true);
  });
});
