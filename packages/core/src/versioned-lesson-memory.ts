import type { Clock } from "./clock.js";
import { systemClock } from "./clock.js";
import type { Embedder } from "./embedder.js";
import { LessonloopError } from "./errors.js";
import { lessonSearchText, type Lesson } from "./lesson.js";
import type { LessonMemoryBackend, LessonRecord, Visibility } from "./lesson-memory-backend.js";
import {
  CommitRequestSchema,
  HistoryRequestSchema,
  LessonListRequestSchema,
  LessonSearchRequestSchema,
  RollbackRequestSchema,
  type CommitRequest,
  type HistoryRequest,
  type LessonListRequest,
  type LessonMemory,
  type LessonSearchRequest,
  type RollbackRequest,
  type ScoredLesson,
  type SnapshotDiff,
} from "./lesson-memory.js";
import { parseWith } from "./parse.js";
import type { Snapshot } from "./snapshot.js";
import { SnapshotLog } from "./snapshot-log.js";
import { IdSchema, VersionSchema } from "./ids.js";

export interface VersionedLessonMemoryParams {
  /** Where snapshots and lesson records are kept. */
  backend: LessonMemoryBackend;
  /** Embeds lessons on commit and queries on search. */
  embedder: Embedder;
  clock?: Clock;
  /**
   * How old (ms) the local copy of history may be before a read checks the
   * backend for versions written by another process. Writes always check.
   */
  freshnessMs?: number;
}

/**
 * The one implementation of `LessonMemory`'s rules — versions, time travel,
 * rollback, diff — over any `LessonMemoryBackend`. Lesson records are written
 * once and never rewritten: what is live at a version is decided by the
 * snapshot log, so a rollback appends one snapshot whatever the memory's size.
 *
 * Writes are serialized within a process. One process should write to a given
 * memory at a time; any number may read.
 */
export class VersionedLessonMemory implements LessonMemory {
  readonly #backend: LessonMemoryBackend;
  readonly #embedder: Embedder;
  readonly #clock: Clock;
  readonly #freshnessMs: number;
  #log: SnapshotLog | undefined;
  #syncedAt = Number.NEGATIVE_INFINITY;
  #syncing: Promise<SnapshotLog> | undefined;
  #writeQueue: Promise<unknown> = Promise.resolve();

  constructor({ backend, embedder, clock = systemClock, freshnessMs = 1_000 }: VersionedLessonMemoryParams) {
    this.#backend = backend;
    this.#embedder = embedder;
    this.#clock = clock;
    this.#freshnessMs = freshnessMs;
  }

  async headVersion(): Promise<number> {
    return (await this.#read()).head;
  }

  async commit(request: CommitRequest): Promise<Snapshot> {
    const { add, retire, reason, author, expectedHead } = parseWith(CommitRequestSchema, request, "commit request");
    if (add.length === 0 && retire.length === 0) {
      throw new LessonloopError("invalid_input", "Invalid commit request — a commit must add or retire at least one lesson.");
    }
    assertUnique(add.map((lesson) => lesson.id), "add");
    for (const lesson of add) {
      if (lesson.status === "rejected" || lesson.status === "retired") {
        throw new LessonloopError("invalid_input", `Invalid commit request — lesson "${lesson.id}" has status "${lesson.status}"; only proposed, validating or approved lessons can be merged.`);
      }
    }
    const retired = [...new Set([...retire, ...add.flatMap((lesson) => lesson.supersedes)])];
    const clash = add.find((lesson) => retired.includes(lesson.id));
    if (clash !== undefined) {
      throw new LessonloopError("invalid_input", `Invalid commit request — lesson "${clash.id}" is both added and retired.`);
    }
    const lessons: Lesson[] = add.map((lesson) => ({ ...lesson, status: "approved" }));

    return this.#write(async (log) => {
      assertHead(log, expectedHead);
      log.planCommit(lessons.map((lesson) => lesson.id), retired);
      const version = log.head + 1;
      const vectors = lessons.length === 0 ? [] : await this.#embedder.embedDocuments(lessons.map(lessonSearchText));
      const records: LessonRecord[] = lessons.map((lesson, index) => ({ lesson, addedIn: version, vector: vectors[index] ?? [] }));
      await this.#backend.discardUncommitted(version);
      await this.#backend.putLessons(records);
      return this.#append(log, {
        version,
        parent: log.head,
        kind: "commit",
        change: { added: lessons.map((lesson) => lesson.id), retired },
        reason,
        author,
        createdAt: this.#clock.now().toISOString(),
      });
    });
  }

  async rollback(request: RollbackRequest): Promise<Snapshot> {
    const { to, reason, author, expectedHead } = parseWith(RollbackRequestSchema, request, "rollback request");
    return this.#write(async (log) => {
      assertHead(log, expectedHead);
      log.planRollback(to);
      const { added, removed } = log.changeBetween(log.head, to);
      return this.#append(log, {
        version: log.head + 1,
        parent: log.head,
        kind: "rollback",
        restores: to,
        change: { added, retired: removed },
        reason,
        author,
        createdAt: this.#clock.now().toISOString(),
      });
    });
  }

  async search(request: LessonSearchRequest): Promise<ScoredLesson[]> {
    const { query, scope, k, version, kinds } = parseWith(LessonSearchRequestSchema, request, "lesson search");
    const log = await this.#read(version);
    const visibility = visibilityAt(log, version ?? log.head);
    const vector = await this.#embedder.embedQuery(query);
    return this.#backend.searchLessons({ vector, scope, visibility, k, kinds });
  }

  async list(request: LessonListRequest = {}): Promise<Lesson[]> {
    const { scope, version } = parseWith(LessonListRequestSchema, request, "lesson list request");
    const log = await this.#read(version);
    const lessons = await this.#backend.listLessons({ visibility: visibilityAt(log, version ?? log.head), scope });
    return lessons.sort((a, b) => a.id.localeCompare(b.id));
  }

  async get(id: string, options: { version?: number } = {}): Promise<Lesson> {
    const lessonId = parseWith(IdSchema, id, "lesson id");
    const version = options.version === undefined ? undefined : parseWith(VersionSchema, options.version, "version");
    const log = await this.#read(version);
    const at = version ?? log.head;
    const addedIn = log.addedAt(lessonId, at);
    if (addedIn === undefined || !log.isLive(lessonId, at)) {
      throw new LessonloopError("not_found", `No lesson "${lessonId}" is live at version ${at}. List lessons or check the history for its id.`, {
        details: { lessonId, version: at },
      });
    }
    const [lesson] = await this.#backend.getLessons([{ id: lessonId, addedIn }]);
    if (lesson === undefined) {
      throw new LessonloopError("corrupt_store", `Snapshot ${addedIn} added lesson "${lessonId}" but its record is missing from the store.`);
    }
    return lesson;
  }

  async snapshot(version: number): Promise<Snapshot> {
    const checked = parseWith(VersionSchema, version, "version");
    return structuredClone((await this.#read(checked)).snapshot(checked));
  }

  async history(request: HistoryRequest = {}): Promise<Snapshot[]> {
    const { limit, before } = parseWith(HistoryRequestSchema, request, "history request");
    return structuredClone((await this.#read()).history(limit, before));
  }

  async diff(from: number, to: number): Promise<SnapshotDiff> {
    const fromVersion = parseWith(VersionSchema, from, "diff `from` version");
    const toVersion = parseWith(VersionSchema, to, "diff `to` version");
    const log = await this.#read(Math.max(fromVersion, toVersion));
    log.snapshot(fromVersion);
    log.snapshot(toVersion);
    const { added, removed } = log.changeBetween(fromVersion, toVersion);
    const keysAt = (ids: string[], version: number) => ids.map((id) => ({ id, addedIn: log.addedAt(id, version) as number }));
    const [addedLessons, removedLessons] = await Promise.all([
      this.#backend.getLessons(keysAt(added, toVersion)),
      this.#backend.getLessons(keysAt(removed, fromVersion)),
    ]);
    const byId = (a: Lesson, b: Lesson) => a.id.localeCompare(b.id);
    return { from: fromVersion, to: toVersion, added: addedLessons.sort(byId), removed: removedLessons.sort(byId) };
  }

  /** The log, synced if stale or if it does not know `version` yet. */
  async #read(version?: number): Promise<SnapshotLog> {
    const log = this.#log;
    const stale = this.#clock.now().getTime() - this.#syncedAt > this.#freshnessMs;
    if (log !== undefined && !stale && (version === undefined || log.has(version))) return log;
    return this.#sync();
  }

  #sync(): Promise<SnapshotLog> {
    this.#syncing ??= this.#load().finally(() => {
      this.#syncing = undefined;
    });
    return this.#syncing;
  }

  async #load(): Promise<SnapshotLog> {
    let log = this.#log;
    if (log === undefined) {
      const stored = await this.#backend.loadSnapshots(-1);
      if (stored.length === 0) {
        const genesis = SnapshotLog.genesis(this.#clock.now().toISOString());
        await this.#backend.appendSnapshot(genesis);
        stored.push(...(await this.#backend.loadSnapshots(-1)));
      }
      log = new SnapshotLog();
      adopt(log, stored);
      this.#log = log;
    } else {
      adopt(log, await this.#backend.loadSnapshots(log.head));
    }
    this.#syncedAt = this.#clock.now().getTime();
    return log;
  }

  /** Runs writes one at a time, each on a freshly synced log. */
  #write<T>(operation: (log: SnapshotLog) => Promise<T>): Promise<T> {
    const run = this.#writeQueue.then(async () => operation(await this.#sync()));
    this.#writeQueue = run.catch(() => undefined);
    return run;
  }

  async #append(log: SnapshotLog, snapshot: Snapshot): Promise<Snapshot> {
    if (!(await this.#backend.appendSnapshot(snapshot))) {
      throw new LessonloopError(
        "conflict",
        `Version ${snapshot.version} was written by another writer at the same time. Only one process may write to a memory; retry after the other writer stops.`,
      );
    }
    adopt(log, [snapshot]);
    return structuredClone(snapshot);
  }
}

/**
 * Appends the snapshots the log does not have yet. A read's sync and a write
 * can both fetch the same new version; whichever comes second skips it.
 */
function adopt(log: SnapshotLog, snapshots: readonly Snapshot[]): void {
  for (const snapshot of snapshots) if (snapshot.version > log.head) log.append(snapshot);
}

function visibilityAt(log: SnapshotLog, version: number): Visibility {
  return { lineage: log.lineage(version), retired: log.retiredBy(version) };
}

function assertHead(log: SnapshotLog, expectedHead: number | undefined): void {
  if (expectedHead !== undefined && log.head !== expectedHead) {
    throw new LessonloopError("conflict", `The live version is ${log.head}, not the expected ${expectedHead}: memory changed since it was read. Look again before writing.`, {
      details: { expectedHead, head: log.head },
    });
  }
}

function assertUnique(ids: readonly string[], field: string): void {
  const seen = new Set<string>();
  for (const id of ids) {
    if (seen.has(id)) throw new LessonloopError("invalid_input", `Invalid commit request — ${field}: lesson id "${id}" appears twice.`);
    seen.add(id);
  }
}
