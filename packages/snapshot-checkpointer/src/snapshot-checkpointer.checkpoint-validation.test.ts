/**
 * LangGraph's own checkpointer conformance suite, `@langchain/langgraph-checkpoint-validation`,
 * run against SnapshotCheckpointer wrapping PostgresSaver, durable, on PGlite (real
 * Postgres compiled to WASM, data folder on disk): all of the suite's tests, none skipped.
 *
 * SqliteSaver and MemorySaver are not run here: they store every channel value in
 * every checkpoint, fail the suite's "should only store channel_values that have
 * changed" on their own, and pass only under the exemption the suite grants them by
 * name. The wrapper does not change how its saver stores values, so it would inherit
 * that failure; borrowing their names to be skipped would not be a real pass.
 *
 * The suite calls describe/it/expect as globals: this file runs in the root vitest
 * config's `checkpoint-validation` project, which sets `globals: true`.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { PostgresSaver } from "@langchain/langgraph-checkpoint-postgres";
import { validate } from "@langchain/langgraph-checkpoint-validation";
import { InMemoryLessonMemory, createLexicalEmbedder } from "@lessonloop/core";
import { MEMORY_VERSION_METADATA_KEY } from "@lessonloop/core/internal";
import { lessonFixture } from "@lessonloop/core/conformance";
import { afterAll, beforeAll, describe, expect } from "vitest";
import { SnapshotCheckpointer } from "./snapshot-checkpointer.js";

/** The version the memory is at during the suite, so every checkpoint it writes gets it recorded. */
const MEMORY_VERSION = 2;

async function memoryAtVersion2(): Promise<InMemoryLessonMemory> {
  const memory = new InMemoryLessonMemory({ embedder: createLexicalEmbedder() });
  await memory.commit({ add: [lessonFixture("first")], reason: "conformance fixture", author: "test" });
  await memory.commit({ add: [lessonFixture("second")], reason: "conformance fixture", author: "test" });
  return memory;
}

/** Proves the wrapper was not a no-op during the suite: every stored checkpoint carries the version. */
function expectEveryStoredVersion(stored: unknown[]): void {
  expect(stored.filter((version) => version !== MEMORY_VERSION)).toEqual([]);
}

/**
 * The part of `pg.Pool` PostgresSaver uses (`connect`/`release`, `query`, `end`),
 * over one PGlite database. PGlite has a single session, so a client holds it
 * exclusively until released: transactions never interleave.
 */
class PGlitePool {
  readonly #db: PGlite;
  #tail: Promise<void> = Promise.resolve();

  constructor(db: PGlite) {
    this.#db = db;
  }

  async connect(): Promise<{ query: (text: string, params?: unknown[]) => Promise<{ rows: unknown[] }>; release: () => void }> {
    let release = () => {};
    const previous = this.#tail;
    this.#tail = new Promise<void>((resolve) => {
      release = resolve;
    });
    await previous;
    return { query: (text, params) => this.#db.query(text, params), release };
  }

  async query(text: string, params?: unknown[]): Promise<{ rows: unknown[] }> {
    const client = await this.connect();
    try {
      return await client.query(text, params);
    } finally {
      client.release();
    }
  }

  /** The database outlives each saver; the file's `afterAll` closes it. */
  async end(): Promise<void> {}
}

type PgPool = ConstructorParameters<typeof PostgresSaver>[0];

describe("SnapshotCheckpointer wrapping PostgresSaver (durable)", () => {
  let folder = "";
  let db: PGlite;
  let memory: InMemoryLessonMemory;
  let schemas = 0;
  const schemaOf = new WeakMap<SnapshotCheckpointer, string>();

  beforeAll(async () => {
    folder = mkdtempSync(join(tmpdir(), "lessonloop-validation-postgres-"));
    db = await PGlite.create(folder);
    memory = await memoryAtVersion2();
  }, 60_000);

  afterAll(async () => {
    await db.close();
    rmSync(folder, { recursive: true, force: true });
  });

  validate<SnapshotCheckpointer>({
    checkpointerName: "SnapshotCheckpointer(PostgresSaver)",
    async createCheckpointer() {
      schemas += 1;
      const schema = `validation_${schemas}`;
      const saver = new PostgresSaver(new PGlitePool(db) as unknown as PgPool, undefined, { schema });
      await saver.setup();
      const checkpointer = new SnapshotCheckpointer({ saver, memory });
      schemaOf.set(checkpointer, schema);
      return checkpointer;
    },
    async destroyCheckpointer(checkpointer) {
      const schema = schemaOf.get(checkpointer) ?? "";
      const { rows } = await db.query<{ version: unknown }>(`SELECT metadata -> '${MEMORY_VERSION_METADATA_KEY}' AS version FROM "${schema}".checkpoints`);
      expectEveryStoredVersion(rows.map((row) => row.version));
    },
  });
});
