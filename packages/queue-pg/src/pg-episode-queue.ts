import { EpisodeSchema, LessonloopError, type Episode, type EpisodeQueue } from "@lessonloop/core";
import { decodeRecord, encodeRecord, parseWith, redactUrlCredentials } from "@lessonloop/core/internal";
import pg from "pg";
import PgBoss from "pg-boss";
import { z } from "zod";

export interface PgEpisodeQueueParams {
  /** The PostgreSQL server, e.g. `postgres://user:password@db:5432/app`: the one your LangGraph checkpointer uses does. */
  connectionString: string;
  /** The queue's name: agents and workers of one fleet use the same. Default `lessonloop-episodes`. */
  name?: string;
  /** The schema pg-boss keeps its tables in (created when missing). Default `pgboss`. */
  schema?: string;
  /**
   * How long a taken episode stays leased (s): a taker that dies holds it this
   * long, then another takes it. Keep it above the longest learning. It is the
   * queue's setting, stored with it: a process that gives another value sets it
   * for all; one that gives none (an agent, the CLI's `dead-letters`) keeps the
   * stored one. Default: the stored value, else 900 for a new queue.
   */
  leaseSeconds?: number;
  /** How often expired leases are found and their episodes freed (s); the wait after a worker dies is up to lease + this. Default 30. */
  sweepIntervalSeconds?: number;
  /** First pause before an episode given to `retryLater` is due again (s, whole); doubles with each attempt (pg-boss's backoff, with jitter). The queue's setting, as `leaseSeconds`. Default: the stored value, else 1. */
  retryDelaySeconds?: number;
  /** Connections this process keeps to the server. Default 4. */
  poolSize?: number;
  /** Told about errors of the queue's background work (the lease sweep). Default one `console.warn` line. */
  onError?: (error: Error) => void;
}

/** A dead letter as stored: the episode and why it failed, in the versioned record format. */
const DeadRecordSchema = z
  .object({
    episode: EpisodeSchema,
    message: z.string(),
    code: z.string().optional(),
    attempts: z.number().int().min(1),
    failedAt: z.string(),
  })
  .strict();

/** A job's data: the episode and the attempts made before it was handed back (a hand-back starts a new job). */
const QueuedEpisodeSchema = z.object({ episode: EpisodeSchema, attemptsBefore: z.number().int().min(0) }).strict();

const SQL_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

let lastMs = 0;
let sequence = 0;

/**
 * A UUIDv7 (time first), increasing within this process: pg-boss orders jobs
 * created in one transaction by id, so a batch keeps its order.
 */
function orderedId(): string {
  const now = Date.now();
  sequence = now === lastMs ? sequence + 1 : 0;
  lastMs = now;
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  const view = new DataView(bytes.buffer);
  view.setUint16(0, Math.floor(now / 2 ** 32));
  view.setUint32(2, now % 2 ** 32);
  // Version 7 and a 12-bit sequence, then the variant.
  view.setUint16(6, 0x7000 | (sequence & 0x0fff));
  bytes[8] = ((bytes[8] as number) & 0x3f) | 0x80;
  const hex = [...bytes].map((byte) => byte.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

function jobsOf(name: string, entries: readonly { episode: Episode; attemptsBefore: number }[]) {
  return entries.map((entry) => ({ id: orderedId(), name, data: JSON.parse(encodeRecord(QueuedEpisodeSchema.parse(entry))) as object }));
}

const DEFAULT_LEASE_SECONDS = 900;
const DEFAULT_RETRY_DELAY_SECONDS = 1;

/**
 * The shared, durable `EpisodeQueue` of a fleet on PostgreSQL, with pg-boss
 * as the job engine: `enqueue` resolves once the episodes' insert has
 * committed (PostgreSQL's commit is on disk), so an acknowledged episode
 * survives any process, the server included, being killed. Takes use
 * `SELECT … FOR UPDATE SKIP LOCKED` (pg-boss's fetch): many workers, one
 * episode each. A lease not completed within `leaseSeconds` (its worker
 * died) is swept back with one attempt counted. Dead letters live in the
 * table `lessonloop_dead_episode` of the same schema, written in the same
 * transaction that completes the job.
 *
 * @throws LessonloopError `store_unavailable` when the server cannot be reached.
 */
export async function createPgEpisodeQueue({
  connectionString,
  name = "lessonloop-episodes",
  schema = "pgboss",
  leaseSeconds: givenLeaseSeconds,
  sweepIntervalSeconds = 30,
  retryDelaySeconds: givenRetryDelaySeconds,
  poolSize = 4,
  onError = (error) => console.warn(`[lessonloop] episode queue ${name}: ${redactUrlCredentials(String(error))}`),
}: PgEpisodeQueueParams): Promise<EpisodeQueue> {
  if (!SQL_NAME.test(schema)) {
    throw new LessonloopError("invalid_input", `schema must be a plain lower-case SQL name (letters, digits, _), got "${schema}".`);
  }
  const where = redactUrlCredentials(connectionString);
  const unavailable = (what: string, cause: unknown) =>
    LessonloopError.isInstance(cause)
      ? cause
      : new LessonloopError("store_unavailable", `Could not ${what} the episode queue ${name} on ${where}: ${redactUrlCredentials(String(cause))}. Check that PostgreSQL is running and reachable.`, { cause });
  const deadTable = `${schema}.lessonloop_dead_episode`;

  const boss = new PgBoss({
    connectionString,
    schema,
    max: poolSize,
    supervise: true,
    maintenanceIntervalSeconds: sweepIntervalSeconds,
    schedule: false,
  });
  boss.on("error", onError);
  // Transactions that span pg-boss's calls and the dead-letter table.
  const pool = new pg.Pool({ connectionString, max: 2 });
  pool.on("error", onError);
  let closed = false;

  async function inTransaction<T>(work: (db: { executeSql: (text: string, values: unknown[]) => Promise<{ rows: unknown[] }> }) => Promise<T>): Promise<T> {
    const client = await pool.connect();
    try {
      await client.query("BEGIN");
      const result = await work({ executeSql: (text, values) => client.query(text, values) });
      await client.query("COMMIT");
      return result;
    } catch (error) {
      await client.query("ROLLBACK").catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  let leaseSeconds = givenLeaseSeconds ?? DEFAULT_LEASE_SECONDS;
  try {
    await boss.start();
    // Several processes start at once: one creates the queue and the table, the others wait.
    await inTransaction(async (db) => {
      await db.executeSql("SELECT pg_advisory_xact_lock(hashtext($1))", [`lessonloop-queue-setup:${schema}`]);
      const existing = await boss.getQueue(name);
      // Lease and backoff are the queue's, not the process's: a process that names none keeps the stored ones
      // (an agent must not reset the workers' lease); one that names others sets them for all.
      leaseSeconds = givenLeaseSeconds ?? existing?.expireInSeconds ?? DEFAULT_LEASE_SECONDS;
      const retryDelay = givenRetryDelaySeconds ?? existing?.retryDelay ?? DEFAULT_RETRY_DELAY_SECONDS;
      // The worker decides when an episode has failed for good (dead letters); the engine never gives up on its own.
      const settings = { retryLimit: 1_000_000, retryDelay, retryBackoff: true, expireInSeconds: leaseSeconds };
      if (existing === null) await boss.createQueue(name, { name, policy: "standard", ...settings });
      else if (existing.expireInSeconds !== leaseSeconds || existing.retryDelay !== retryDelay) await boss.updateQueue(name, { name, ...settings });
      await db.executeSql(
        `CREATE TABLE IF NOT EXISTS ${deadTable} (queue text NOT NULL, episode_id text NOT NULL, record jsonb NOT NULL, failed_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (queue, episode_id))`,
        [],
      );
    });
  } catch (error) {
    await boss.stop({ graceful: false, wait: true }).catch(() => undefined);
    await pool.end().catch(() => undefined);
    throw unavailable("open", error);
  }

  function assertOpen(): void {
    if (closed) throw new LessonloopError("invalid_input", `The episode queue ${name} was closed. Open it again with createPgEpisodeQueue.`);
  }

  function decodeJob(job: PgBoss.JobWithMetadata<unknown>): EpisodeQueue.Taken {
    const { episode, attemptsBefore } = decodeRecord(QueuedEpisodeSchema, JSON.stringify(job.data), "episode from the queue");
    // pg-boss counts a take of a job started before (failed, or its lease ran out) as a retry.
    return { episode, leaseId: job.id, attempts: attemptsBefore + job.retryCount };
  }

  async function writeDead(db: { executeSql: (text: string, values: unknown[]) => Promise<{ rows: unknown[] }> }, episode: Episode, failure: EpisodeQueue.Failure, attempts: number) {
    const record = DeadRecordSchema.parse({ episode, message: failure.message, ...(failure.code === undefined ? {} : { code: failure.code }), attempts, failedAt: new Date().toISOString() });
    await db.executeSql(
      `INSERT INTO ${deadTable} (queue, episode_id, record) VALUES ($1, $2, $3::jsonb) ON CONFLICT (queue, episode_id) DO UPDATE SET record = EXCLUDED.record, failed_at = now()`,
      [name, episode.id, encodeRecord(record)],
    );
  }

  return {
    leaseMs: leaseSeconds * 1000,
    async enqueue(episodes) {
      assertOpen();
      const parsed = episodes.map((episode, index) => parseWith(EpisodeSchema, episode, `episode ${index}`));
      if (parsed.length === 0) return;
      try {
        // One INSERT, one commit: all of the batch or none of it.
        await boss.insert(jobsOf(name, parsed.map((episode) => ({ episode, attemptsBefore: 0 }))));
      } catch (error) {
        throw unavailable(`enqueue ${parsed.length} episode(s) to`, error);
      }
    },
    async take(limit) {
      assertOpen();
      let jobs: PgBoss.JobWithMetadata<unknown>[];
      try {
        jobs = await boss.fetch<unknown>(name, { batchSize: limit, includeMetadata: true });
      } catch (error) {
        throw unavailable("take from", error);
      }
      const taken: EpisodeQueue.Taken[] = [];
      for (const job of jobs ?? []) {
        try {
          taken.push(decodeJob(job));
        } catch (error) {
          // A record no version here can read is set aside, not retried forever.
          await boss.fail(name, job.id, { error: String(error), corrupt: true }).catch(() => undefined);
          await boss.cancel(name, job.id).catch(() => undefined);
          onError(error instanceof Error ? error : new Error(String(error)));
        }
      }
      return taken;
    },
    async complete(taken) {
      assertOpen();
      try {
        await boss.complete(name, taken.leaseId);
      } catch (error) {
        throw unavailable("complete an episode in", error);
      }
    },
    async retryLater(taken, failure) {
      assertOpen();
      try {
        await boss.fail(name, taken.leaseId, { message: failure.message, code: failure.code ?? null });
      } catch (error) {
        throw unavailable("schedule a retry in", error);
      }
    },
    async deadLetter(taken, failure) {
      assertOpen();
      try {
        // Both or neither: the episode is in the dead letters exactly when it has left the queue.
        await inTransaction(async (db) => {
          await writeDead(db, taken.episode, failure, taken.attempts + 1);
          await boss.complete(name, taken.leaseId, { deadLettered: true, message: failure.message }, { db });
        });
      } catch (error) {
        throw unavailable("dead-letter an episode in", error);
      }
    },
    async release(taken) {
      assertOpen();
      try {
        // A new job carrying the attempts so far replaces the leased one, in one transaction: no attempt is counted.
        await inTransaction(async (db) => {
          await boss.insert(jobsOf(name, [{ episode: taken.episode, attemptsBefore: taken.attempts }]), { db });
          await boss.complete(name, taken.leaseId, { handedBack: true }, { db });
        });
      } catch (error) {
        throw unavailable("hand an episode back to", error);
      }
    },
    async deadLetters(limit = 100) {
      assertOpen();
      let rows: { record: unknown }[];
      try {
        ({ rows } = (await pool.query(`SELECT record FROM ${deadTable} WHERE queue = $1 ORDER BY failed_at, episode_id LIMIT $2`, [name, limit])) as { rows: { record: unknown }[] });
      } catch (error) {
        throw unavailable("read the dead letters of", error);
      }
      return rows.map(({ record }) => {
        const { code, ...rest } = decodeRecord(DeadRecordSchema, JSON.stringify(record), "dead-lettered episode");
        return { ...rest, ...(code === undefined ? {} : { code: code as EpisodeQueue.Failure["code"] }) };
      });
    },
    async requeueDead(episodeIds) {
      assertOpen();
      if (episodeIds.length === 0) return 0;
      try {
        return await inTransaction(async (db) => {
          const { rows } = (await db.executeSql(`DELETE FROM ${deadTable} WHERE queue = $1 AND episode_id = ANY($2::text[]) RETURNING record`, [name, [...episodeIds]])) as {
            rows: { record: unknown }[];
          };
          const episodes = rows.map(({ record }) => decodeRecord(DeadRecordSchema, JSON.stringify(record), "dead-lettered episode").episode);
          if (episodes.length > 0) await boss.insert(jobsOf(name, episodes.map((episode) => ({ episode, attemptsBefore: 0 }))), { db });
          return episodes.length;
        });
      } catch (error) {
        throw unavailable("requeue dead letters of", error);
      }
    },
    async close() {
      if (closed) return;
      closed = true;
      await boss.stop({ graceful: false, wait: true }).catch(() => undefined);
      await pool.end().catch(() => undefined);
    },
  };
}
