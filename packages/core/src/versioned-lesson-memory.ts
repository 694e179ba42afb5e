import type { Clock } from "./clock.js";
import { systemClock } from "./clock.js";
import type { Embedder } from "./embedder.js";
import { LessonloopError } from "./errors.js";
import { lessonSearchText, type Lesson } from "./lesson.js";
import type { LessonMemoryBackend, LessonRecord, Visibility } from "./lesson-memory-backend.js";
import {
  CommitRequestSchema,
  DiffOptionsSchema,
  HistoryRequestSchema,
  LessonListRequestSchema,
  LessonSearchRequestSchema,
  RevertRequestSchema,
  RollbackRequestSchema,
  type CommitRequest,
  type DiffOptions,
  type HistoryRequest,
  type LessonListRequest,
  type LessonMemory,
  type LessonSearchRequest,
  type RevertRequest,
  type RollbackRequest,
  type ScoredLesson,
  type SnapshotDiff,
} from "./lesson-memory.js";
import { parseWith } from "./parse.js";
import { z } from "zod";
import { formatScope, scopeContains, type Scope } from "./scope.js";
import type { Snapshot } from "./snapshot.js";
import { SnapshotLog, type LessonKey } from "./snapshot-log.js";
import { IdSchema, VersionSchema } from "./ids.js";
import { randomId, type IdGenerator } from "./id-generator.js";
import { LiveLessonIndex } from "./live-lesson-index.js";

export interface VersionedLessonMemoryParams {
  /** Where snapshots and lesson records are kept. */
  backend: LessonMemoryBackend;
  /** Embeds lessons on commit and queries on search. */
  embedder: Embedder;
  clock?: Clock;
  /**
   * How stale (ms) this process's copy of history may be: another process's
   * merge is seen here at most this long (plus one read of the store) after
   * it is stored. With `refresh: "on-read"` a read older than this checks the
   * backend first; with `"background"` a refresh runs this often. Writes
   * always check. Default 1000.
   */
  freshnessMs?: number;
  /**
   * Who pays for looking for versions other processes stored. `"on-read"`
   * (the default): the first read after `freshnessMs` waits for the check.
   * `"background"`: a timer (not keeping the process alive) checks every
   * `freshnessMs` and moves the live index, so a read at the head never waits
   * for the store — only a read of a version this process has not seen yet
   * (a run pinned elsewhere) does, to see exactly that version. A failed
   * check is kept in `refreshStats` and retried, later each time (up to 30 s);
   * reads meanwhile answer from the last head read. `close()` stops it.
   * A write is seen by its own process at once in both modes.
   */
  refresh?: "on-read" | "background";
  /** Ids of commit attempts; must be unique across processes and hold no "@". Default random UUIDs. */
  commitIds?: IdGenerator;
  /**
   * How many times a write that lost its version to another writer is planned
   * again on the new head before it fails with `conflict`. Default 50.
   */
  maxWriteAttempts?: number;
  /** Longest pause (ms) before such a retry; each pause is random up to this, so racing writers spread out. Default 20. */
  retryJitterMs?: number;
  /**
   * Up to how many live lessons searches at the head are answered in this
   * process, from an exact copy of the head's live lessons and their vectors
   * (a `LiveLessonIndex`: about 4 KiB a lesson at 1024 dimensions). A search
   * that finds the head moved starts moving the copy in the background and is
   * answered by the backend, as is every search at another version, while the
   * copy loads, and above this size. 0 turns it off. Default 0.
   */
  liveIndexLessons?: number;
}

/** How long (ms) after a failed load of the live index the next search may start another. */
const INDEX_RETRY_MS = 10_000;
/** The longest pause (ms) between background refreshes while the store keeps failing them. */
const MAX_REFRESH_BACKOFF_MS = 30_000;
/** The shortest `freshnessMs` of a background refresh: shorter would poll the store in a busy loop. */
const MIN_BACKGROUND_FRESHNESS_MS = 10;

/**
 * A memory's search whose lessons are its own, shared and frozen, not copies:
 * for a caller that never changes what it gets and copies what it hands on
 * (the retriever, which searches on every agent step).
 */
export const searchShared: unique symbol = Symbol("lessonloop.searchShared");
export interface SharedLessonSearch {
  [searchShared](request: LessonSearchRequest): Promise<ScoredLesson[]>;
}

/** What a write attempt returns when another writer stored its version first. */
const LOST = Symbol("lost the version to another writer");

/**
 * The one implementation of `LessonMemory`'s rules — versions, time travel,
 * rollback, diff — over any `LessonMemoryBackend`. Lesson records are written
 * once and never rewritten: what is live at a version is decided by the
 * snapshot log, so a rollback appends one snapshot whatever the memory's size.
 *
 * Any number of processes may write to one memory at once. Each write plans
 * on the latest head, writes its lesson records tagged with a fresh commit id,
 * then stores its snapshot with an insert-if-absent keyed by version (the
 * backend's `appendSnapshot`). The one attempt that stores version N wins it;
 * only its records are ever read. A loser re-reads history and plans again on
 * the new head (a commit whose lessons were merged meanwhile, or that conflicts
 * with what was, fails as it would have alone). So history stays linear, no
 * update is lost, and a writer killed at any point leaves memory exactly at the
 * last stored snapshot. A retried commit never merges anything twice: a lesson
 * id already merged is a `conflict` whose details name the version
 * (`mergedAt`), so a caller can confirm its own earlier merge (the merge node's
 * `already_merged`). Writes are also serialized within a process.
 */
export class VersionedLessonMemory implements LessonMemory, SharedLessonSearch {
  readonly #backend: LessonMemoryBackend;
  readonly #embedder: Embedder;
  readonly #clock: Clock;
  readonly #freshnessMs: number;
  readonly #commitIds: IdGenerator;
  readonly #maxWriteAttempts: number;
  readonly #retryJitterMs: number;
  /** Versions whose orphan records this process has discarded. */
  #sweptThrough = -1;
  #writes = 0;
  #lostRaces = 0;
  #log: SnapshotLog | undefined;
  #syncedAt = Number.NEGATIVE_INFINITY;
  #syncing: Promise<SnapshotLog> | undefined;
  #writeQueue: Promise<unknown> = Promise.resolve();
  readonly #liveIndexLessons: number;
  #liveIndex: LiveLessonIndex | undefined;
  /** The live index being moved, if it is. */
  #indexing: Promise<void> | undefined;
  /** The head at which the live index was left off for being too large: tried again when the head moves. */
  #unindexedHead = -1;
  /** After a failed load (the backend down), when to try again. */
  #indexRetryAt = Number.NEGATIVE_INFINITY;
  /** Whether a search at the head asked for the live index: a process that only writes never loads it. */
  #indexWanted = false;
  readonly #refresh: "on-read" | "background";
  /** The pending background refresh, while one is scheduled. */
  #refreshTimer: ReturnType<typeof setTimeout> | undefined;
  /** The background refresh running now, if one is. */
  #refreshRun: Promise<void> | undefined;
  #closed = false;
  #refreshes = 0;
  #failedRefreshes = 0;
  /** Refreshes failed in a row: each waits longer before the next. */
  #failuresInRow = 0;
  #lastRefreshError: unknown;

  constructor({
    backend,
    embedder,
    clock = systemClock,
    freshnessMs = 1_000,
    commitIds = randomId,
    maxWriteAttempts = 50,
    retryJitterMs = 20,
    liveIndexLessons = 0,
    refresh = "on-read",
  }: VersionedLessonMemoryParams) {
    this.#backend = backend;
    this.#embedder = embedder;
    this.#clock = clock;
    this.#freshnessMs = freshnessMs;
    this.#refresh = parseWith(z.enum(["on-read", "background"]), refresh, "refresh");
    if (this.#refresh === "background" && this.#freshnessMs < MIN_BACKGROUND_FRESHNESS_MS) {
      throw new LessonloopError("invalid_input", `A background refresh needs freshnessMs of at least ${MIN_BACKGROUND_FRESHNESS_MS}, not ${this.#freshnessMs}; raise it, or refresh "on-read".`);
    }
    this.#commitIds = commitIds;
    this.#maxWriteAttempts = maxWriteAttempts;
    this.#retryJitterMs = retryJitterMs;
    this.#liveIndexLessons = parseWith(z.number().int().min(0), liveIndexLessons, "liveIndexLessons");
  }

  /** Writes this handle stored, and races it lost to other writers (each retried on the new head): the cost of contention. */
  get writeStats(): { writes: number; lostRaces: number } {
    return { writes: this.#writes, lostRaces: this.#lostRaces };
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
    const addedIds = lessons.map((lesson) => lesson.id);
    // Embedded once: a write that loses its version is retried with the same vectors.
    let vectors: number[][] | undefined;

    return this.#write(async (log) => {
      assertHead(log, expectedHead);
      log.planCommit(addedIds, retired);
      vectors ??= lessons.length === 0 ? [] : await this.#embedder.embedDocuments(lessons.map(lessonSearchText));
      const version = log.head + 1;
      const commitId = this.#commitIds();
      const records: LessonRecord[] = lessons.map((lesson, index) => ({ lesson, addedIn: version, commitId, vector: vectors?.[index] ?? [] }));
      await this.#backend.putLessons(records);
      return this.#append(log, commitId, {
        version,
        parent: log.head,
        kind: "commit",
        change: { added: addedIds, retired },
        reason,
        author,
        createdAt: this.#clock.now().toISOString(),
      }, records);
    });
  }

  async rollback(request: RollbackRequest): Promise<Snapshot> {
    const { to, scope, evidence, reason, author, expectedHead } = parseWith(RollbackRequestSchema, request, "rollback request");
    return this.#write(async (log) => {
      // A retry of this very rollback that landed returns it rather than stacking an empty one on top.
      const head = log.snapshot(log.head);
      if (head.kind === "rollback" && head.restores === to && sameScope(head.scope, scope) && head.reason === reason && head.author === author) return structuredClone(head);
      assertHead(log, expectedHead);
      log.planRollback(to);
      const between = log.changeBetween(log.head, to);
      const change = scope === undefined ? { added: between.added, retired: between.removed } : await this.#withinScope(log, to, between, scope);
      return this.#append(log, this.#commitIds(), {
        version: log.head + 1,
        parent: log.head,
        kind: "rollback",
        restores: to,
        ...(scope === undefined ? {} : { scope }),
        change,
        reason,
        author,
        ...(evidence === undefined ? {} : { evidence }),
        createdAt: this.#clock.now().toISOString(),
      });
    });
  }

  /**
   * The part of a rollback's change within `scope`. Reads only the records of
   * the lessons that differ between the head and `to`: the size of the change.
   */
  async #withinScope(log: SnapshotLog, to: number, between: { added: string[]; removed: string[] }, scope: Scope): Promise<Snapshot["change"]> {
    const [added, removed] = await Promise.all([
      this.#records(between.added.map((id) => ({ id, addedIn: log.liveRecord(id, to) as number }))),
      this.#records(between.removed.map((id) => ({ id, addedIn: log.liveRecord(id, log.head) as number }))),
    ]);
    const within = (lesson: Lesson | undefined) => lesson !== undefined && scopeContains(scope, lesson.scope);
    for (const id of between.added) {
      // One id, two records (re-merged after a global rollback) in different scopes: rolling one back would change the other scope.
      if (removed.has(id) && within(added.get(id)) !== within(removed.get(id))) {
        throw new LessonloopError(
          "out_of_scope",
          `Lesson id "${id}" names lessons of two scopes at versions ${to} and ${log.head}; a rollback within ${formatScope(scope)} would change the other. Roll back all scopes, or revert lessons one by one.`,
          { details: { lessonId: id } },
        );
      }
    }
    return {
      added: between.added.filter((id) => within(added.get(id))),
      retired: between.removed.filter((id) => within(removed.get(id))),
    };
  }

  async revert(request: RevertRequest): Promise<Snapshot> {
    const { lessons: ids, scope, evidence, reason, author, expectedHead } = parseWith(RevertRequestSchema, request, "revert request");
    assertUnique(ids, "lessons", "revert request");
    return this.#write(async (log) => {
      // A retry of this very revert that landed returns it: its lessons are no longer live to revert.
      const head = log.snapshot(log.head);
      if (head.kind === "revert" && sameIds(head.change.retired, ids) && sameScope(head.scope, scope) && head.reason === reason && head.author === author) {
        return structuredClone(head);
      }
      assertHead(log, expectedHead);
      const keys = log.planRevert(ids);
      const reverted = await this.#records(keys);
      const restoredKeys: LessonKey[] = [];
      for (const key of keys) {
        const lesson = reverted.get(key.id) as Lesson;
        for (const restored of log.supersededBy(key, lesson.supersedes)) {
          if (!restoredKeys.some((other) => other.id === restored.id)) restoredKeys.push(restored);
        }
      }
      if (scope !== undefined) {
        const restored = await this.#records(restoredKeys);
        for (const lesson of [...reverted.values(), ...restored.values()]) {
          if (!scopeContains(scope, lesson.scope)) {
            const role = reverted.has(lesson.id) ? "is" : `was superseded by a reverted lesson and lies`;
            throw new LessonloopError(
              "out_of_scope",
              `Lesson "${lesson.id}" ${role} in scope ${formatScope(lesson.scope)}, outside ${formatScope(scope)}; nothing was reverted. Revert it from its own scope.`,
              { details: { lessonId: lesson.id, scope: lesson.scope } },
            );
          }
        }
      }
      return this.#append(log, this.#commitIds(), {
        version: log.head + 1,
        parent: log.head,
        kind: "revert",
        ...(scope === undefined ? {} : { scope }),
        change: { added: restoredKeys.map((key) => key.id), retired: [...ids] },
        reason,
        author,
        ...(evidence === undefined ? {} : { evidence }),
        createdAt: this.#clock.now().toISOString(),
      });
    });
  }

  /** Lesson records by id; a key the log names but the store lacks is a `corrupt_store`. */
  async #records(keys: readonly LessonKey[]): Promise<Map<string, Lesson>> {
    const found = new Map((await this.#backend.getLessons(keys)).map((lesson) => [lesson.id, lesson]));
    for (const key of keys) {
      if (!found.has(key.id)) throw new LessonloopError("corrupt_store", `Snapshot ${key.addedIn} added lesson "${key.id}" but its record is missing from the store.`);
    }
    return found;
  }

  search(request: LessonSearchRequest): Promise<ScoredLesson[]> {
    return this.#search(request, false);
  }

  [searchShared](request: LessonSearchRequest): Promise<ScoredLesson[]> {
    return this.#search(request, true);
  }

  async #search(request: LessonSearchRequest, shared: boolean): Promise<ScoredLesson[]> {
    const { query, scope, k, version, kinds, tools } = parseWith(LessonSearchRequestSchema, request, "lesson search");
    const log = await this.#read(version);
    const at = version ?? log.head;
    if (at === log.head) {
      this.#indexWanted = true;
      this.#moveLiveIndex(log);
    }
    const vector = await this.#embedder.embedQuery(query);
    const anchors = tools === undefined || tools.length === 0 ? {} : { tools: [...new Set(tools)] };
    // Checked and searched in one synchronous step: the index cannot move in between.
    const index = this.#liveIndex;
    if (index !== undefined && index.version === at) return index.search({ vector, scope, k, kinds, ...anchors, shared });
    return this.#backend.searchLessons({ vector, scope, visibility: visibilityAt(log, at), k, kinds, ...anchors });
  }

  /** How many lessons the live index holds and at which version; undefined while there is none. */
  get liveIndexStats(): { version: number; lessons: number } | undefined {
    const index = this.#liveIndex;
    return index === undefined ? undefined : { version: index.version, lessons: index.size };
  }

  /** Waits for the live index to reach the head as this process knows it: for tests and benchmarks. */
  async liveIndexSettled(): Promise<void> {
    const log = await this.#read();
    this.#indexWanted = true;
    this.#moveLiveIndex(log);
    while (this.#indexing !== undefined) await this.#indexing;
  }

  /** Starts moving the live index to the log's head, in the background, unless it is there, on its way, or was left off at this head. */
  #moveLiveIndex(log: SnapshotLog): void {
    const head = log.head;
    if (this.#liveIndexLessons === 0 || !this.#indexWanted || this.#indexing !== undefined || this.#liveIndex?.version === head || this.#unindexedHead === head) return;
    if (this.#clock.now().getTime() < this.#indexRetryAt) return;
    this.#indexing = this.#indexTo(log, head)
      .catch(() => {
        // Searches keep going to the backend meanwhile.
        this.#indexRetryAt = this.#clock.now().getTime() + INDEX_RETRY_MS;
      })
      .finally(() => {
        this.#indexing = undefined;
      });
  }

  /** Moves the live index to `head`, reading only the lessons that differ (all of them the first time). */
  async #indexTo(log: SnapshotLog, head: number): Promise<void> {
    const current = this.#liveIndex;
    const { added, removed } = log.changeBetween(current?.version ?? 0, head);
    const keys = added.map((id) => ({ id, addedIn: log.liveRecord(id, head) as number }));
    if ((current?.size ?? 0) + added.length - removed.length > this.#liveIndexLessons) {
      this.#liveIndex = undefined;
      this.#unindexedHead = head;
      return;
    }
    const records = await this.#backend.getRecords(keys);
    if (records.length !== keys.length) throw new LessonloopError("corrupt_store", `The live index at version ${head} found ${records.length} of ${keys.length} lesson records.`);
    const index = current ?? new LiveLessonIndex(0, this.#embedder.dimensions);
    index.apply(head, removed, records);
    this.#liveIndex = index;
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
    const addedIn = log.liveRecord(lessonId, at);
    if (addedIn === undefined) {
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

  async diff(from: number, to: number, options: DiffOptions = {}): Promise<SnapshotDiff> {
    const fromVersion = parseWith(VersionSchema, from, "diff `from` version");
    const toVersion = parseWith(VersionSchema, to, "diff `to` version");
    const { scope } = parseWith(DiffOptionsSchema, options, "diff options");
    const log = await this.#read(Math.max(fromVersion, toVersion));
    log.snapshot(fromVersion);
    log.snapshot(toVersion);
    const { added, removed } = log.changeBetween(fromVersion, toVersion);
    const keysAt = (ids: string[], version: number) => ids.map((id) => ({ id, addedIn: log.liveRecord(id, version) as number }));
    const [addedLessons, removedLessons] = await Promise.all([
      this.#backend.getLessons(keysAt(added, toVersion)),
      this.#backend.getLessons(keysAt(removed, fromVersion)),
    ]);
    const byId = (a: Lesson, b: Lesson) => a.id.localeCompare(b.id);
    // A tenant's view: lessons outside the scope are dropped here, not left to the caller.
    const within = (lessons: Lesson[]) => (scope === undefined ? lessons : lessons.filter((lesson) => scopeContains(scope, lesson.scope)));
    return { from: fromVersion, to: toVersion, added: within(addedLessons).sort(byId), removed: within(removedLessons).sort(byId) };
  }

  /**
   * The log, synced if it does not know `version` yet, or if stale while no
   * background refresh keeps it fresh.
   */
  async #read(version?: number): Promise<SnapshotLog> {
    const log = this.#log;
    const fresh = this.#refreshTimer !== undefined || this.#refreshRun !== undefined || this.#clock.now().getTime() - this.#syncedAt <= this.#freshnessMs;
    if (log !== undefined && fresh && (version === undefined || log.has(version))) return log;
    return this.#sync();
  }

  /** Background refreshes run, failed, and the last failure (kept, never thrown at a read); undefined with `refresh: "on-read"`. */
  get refreshStats(): { refreshes: number; failed: number; lastError: unknown } | undefined {
    return this.#refresh === "on-read" ? undefined : { refreshes: this.#refreshes, failed: this.#failedRefreshes, lastError: this.#lastRefreshError };
  }

  /**
   * Stops the background refresh (waiting for one under way); later reads
   * check the store as `refresh: "on-read"` does. Everything else keeps working.
   */
  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#refreshTimer);
    this.#refreshTimer = undefined;
    await this.#refreshRun;
  }

  /** Schedules the next background refresh, unless closed or one is pending. */
  #scheduleRefresh(): void {
    if (this.#refresh !== "background" || this.#closed || this.#refreshTimer !== undefined || this.#refreshRun !== undefined) return;
    const pause = Math.min(this.#freshnessMs * 2 ** this.#failuresInRow, MAX_REFRESH_BACKOFF_MS);
    const timer = setTimeout(() => {
      this.#refreshTimer = undefined;
      this.#refreshRun = this.#refreshOnce().finally(() => {
        this.#refreshRun = undefined;
        this.#scheduleRefresh();
      });
    }, pause);
    // An agent's process ends when its work does, whatever this memory still polls.
    timer.unref?.();
    this.#refreshTimer = timer;
  }

  /** Reads the versions other processes stored and starts moving the live index to the new head. */
  async #refreshOnce(): Promise<void> {
    try {
      const log = await this.#sync();
      this.#moveLiveIndex(log);
      this.#refreshes += 1;
      this.#failuresInRow = 0;
    } catch (error) {
      this.#failedRefreshes += 1;
      this.#failuresInRow += 1;
      this.#lastRefreshError = error;
    }
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
        // Two processes opening a new memory both try; either genesis will do.
        await this.#backend.appendSnapshot(genesis, this.#commitIds());
        stored.push(...(await this.#backend.loadSnapshots(-1)));
      }
      log = new SnapshotLog();
      adopt(log, stored);
      this.#log = log;
    } else {
      adopt(log, await this.#backend.loadSnapshots(log.head));
    }
    this.#syncedAt = this.#clock.now().getTime();
    this.#scheduleRefresh();
    return log;
  }

  /**
   * Runs writes one at a time, each on a freshly synced log. An attempt that
   * lost its version to another process is planned again on the new head.
   */
  #write(operation: (log: SnapshotLog) => Promise<Snapshot | typeof LOST>): Promise<Snapshot> {
    const run = this.#writeQueue.then(async () => {
      for (let attempt = 1; ; attempt++) {
        const result = await operation(await this.#sync());
        if (result !== LOST) {
          this.#writes += 1;
          return result;
        }
        this.#lostRaces += 1;
        if (attempt >= this.#maxWriteAttempts) {
          throw new LessonloopError(
            "conflict",
            `Gave up after ${attempt} attempts: each time another writer stored the next version first. Retry later, or write less often from more processes.`,
            { details: { attempts: attempt } },
          );
        }
        await sleep(Math.random() * this.#retryJitterMs);
      }
    });
    this.#writeQueue = run.catch(() => undefined);
    return run;
  }

  /** Stores the snapshot if its version is still free; `LOST` when another writer stored it first. */
  async #append(log: SnapshotLog, commitId: string, snapshot: Snapshot, records: readonly LessonRecord[] = []): Promise<Snapshot | typeof LOST> {
    if (!(await this.#backend.appendSnapshot(snapshot, commitId))) return LOST;
    adopt(log, [snapshot]);
    this.#advanceLiveIndex(log, snapshot.version, records);
    await this.#discardOrphans(snapshot.version);
    return structuredClone(snapshot);
  }

  /**
   * Moves the live index by this process's own write: at once from the records
   * it wrote when it holds every lesson the write made live (a commit; a
   * rollback or revert that only retires), asking the backend nothing; else in
   * the background, the backend answering at the new head meanwhile.
   */
  #advanceLiveIndex(log: SnapshotLog, version: number, records: readonly LessonRecord[]): void {
    const index = this.#liveIndex;
    if (index === undefined || this.#indexing !== undefined || index.version !== version - 1) return this.#moveLiveIndex(log);
    const { added, removed } = log.changeBetween(index.version, version);
    const written = new Map(records.map((record) => [record.lesson.id, record]));
    if (added.some((id) => !written.has(id)) || index.size + added.length - removed.length > this.#liveIndexLessons) return this.#moveLiveIndex(log);
    index.apply(
      version,
      removed,
      added.map((id) => {
        const record = written.get(id) as LessonRecord;
        // The index freezes what it holds; the write keeps its own objects.
        return { lesson: structuredClone(record.lesson), vector: record.vector };
      }),
    );
  }

  /** Frees records that losing or crashed attempts left, up to a decided version. Best effort: they are never read anyway. */
  async #discardOrphans(throughVersion: number): Promise<void> {
    if (throughVersion <= this.#sweptThrough) return;
    try {
      await this.#backend.discardOrphans(this.#sweptThrough, throughVersion);
      this.#sweptThrough = throughVersion;
    } catch {
      // The commit is stored; the next one sweeps again.
    }
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}


/**
 * Appends the snapshots the log does not have yet. A read's sync and a write
 * can both fetch the same new version; whichever comes second skips it.
 */
function adopt(log: SnapshotLog, snapshots: readonly Snapshot[]): void {
  for (const snapshot of snapshots) if (snapshot.version > log.head) log.append(snapshot);
}

function visibilityAt(log: SnapshotLog, version: number): Visibility {
  return log.visibility(version);
}

function sameScope(a: Scope | undefined, b: Scope | undefined): boolean {
  return a === b || (a !== undefined && b !== undefined && a.tenant === b.tenant && a.user === b.user && a.agent === b.agent);
}

function sameIds(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && [...a].sort().join("\n") === [...b].sort().join("\n");
}

function assertHead(log: SnapshotLog, expectedHead: number | undefined): void {
  if (expectedHead !== undefined && log.head !== expectedHead) {
    throw new LessonloopError("conflict", `The live version is ${log.head}, not the expected ${expectedHead}: memory changed since it was read. Look again before writing.`, {
      details: { expectedHead, head: log.head },
    });
  }
}

function assertUnique(ids: readonly string[], field: string, what = "commit request"): void {
  const seen = new Set<string>();
  for (const id of ids) {
    if (seen.has(id)) throw new LessonloopError("invalid_input", `Invalid ${what} — ${field}: lesson id "${id}" appears twice.`);
    seen.add(id);
  }
}
