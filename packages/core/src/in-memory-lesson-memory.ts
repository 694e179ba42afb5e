import type { Clock } from "./clock.js";
import { cosineSimilarity, type Embedder } from "./embedder.js";
import { lessonAnchoredTo, type Lesson } from "./lesson.js";
import { isVisible, mergeHits, type LessonMemoryBackend, type LessonRecord, type Visibility } from "./lesson-memory-backend.js";
import type { ScoredLesson } from "./lesson-memory.js";
import type { LiveRecord } from "./live-lesson-index.js";
import { scopeApplies, scopeContains } from "./scope.js";
import type { Snapshot } from "./snapshot.js";
import { VersionedLessonMemory } from "./versioned-lesson-memory.js";

const recordKey = (id: string, addedIn: number, commitId: string) => `${id}@${addedIn}@${commitId}`;

/** Keeps snapshots and lesson records in this process's memory. */
class InMemoryBackend implements LessonMemoryBackend {
  readonly #snapshots: Snapshot[] = [];
  /** The commit attempt that won each version, by version. */
  readonly #winners: string[] = [];
  readonly #records = new Map<string, LessonRecord>();

  #isVisible(record: LessonRecord, visibility: Visibility): boolean {
    return this.#winners[record.addedIn] === record.commitId && isVisible(visibility, record.lesson.id, record.addedIn);
  }

  async loadSnapshots(afterVersion: number): Promise<Snapshot[]> {
    return this.#snapshots.slice(afterVersion + 1).map((snapshot) => structuredClone(snapshot));
  }

  async appendSnapshot(snapshot: Snapshot, commitId: string): Promise<boolean> {
    if (snapshot.version !== this.#snapshots.length) return false;
    this.#snapshots.push(structuredClone(snapshot));
    this.#winners.push(commitId);
    return true;
  }

  async discardOrphans(afterVersion: number, throughVersion: number): Promise<void> {
    for (const [key, record] of this.#records) {
      if (record.addedIn > afterVersion && record.addedIn <= throughVersion && this.#winners[record.addedIn] !== record.commitId) this.#records.delete(key);
    }
  }

  async putLessons(records: readonly LessonRecord[]): Promise<void> {
    for (const record of records) this.#records.set(recordKey(record.lesson.id, record.addedIn, record.commitId), structuredClone(record));
  }

  async getLessons(keys: readonly { id: string; addedIn: number }[]): Promise<Lesson[]> {
    return (await this.getRecords(keys)).map((record) => record.lesson);
  }

  async getRecords(keys: readonly { id: string; addedIn: number }[]): Promise<LiveRecord[]> {
    return keys.flatMap(({ id, addedIn }) => {
      const winner = this.#winners[addedIn];
      const record = winner === undefined ? undefined : this.#records.get(recordKey(id, addedIn, winner));
      return record === undefined ? [] : [{ lesson: structuredClone(record.lesson), vector: record.vector }];
    });
  }

  async searchLessons({ vector, scope, visibility, k, kinds, tools }: Parameters<LessonMemoryBackend["searchLessons"]>[0]): Promise<ScoredLesson[]> {
    const scored: ScoredLesson[] = [];
    for (const record of this.#records.values()) {
      if (!this.#isVisible(record, visibility) || !scopeApplies(record.lesson.scope, scope)) continue;
      if (kinds !== undefined && !kinds.includes(record.lesson.kind)) continue;
      scored.push({ lesson: structuredClone(record.lesson), score: cosineSimilarity(vector, record.vector) });
    }
    scored.sort((a, b) => b.score - a.score || a.lesson.id.localeCompare(b.lesson.id));
    const nearest = scored.slice(0, k);
    if (tools === undefined) return nearest;
    const available = new Set(tools);
    const anchored = scored.filter((hit) => lessonAnchoredTo(hit.lesson, available)).slice(0, k);
    return mergeHits(nearest, anchored);
  }

  async listLessons({ scope, visibility }: Parameters<LessonMemoryBackend["listLessons"]>[0]): Promise<Lesson[]> {
    const lessons: Lesson[] = [];
    for (const record of this.#records.values()) {
      if (!this.#isVisible(record, visibility)) continue;
      if (scope !== undefined && !scopeContains(scope, record.lesson.scope)) continue;
      lessons.push(structuredClone(record.lesson));
    }
    return lessons;
  }
}

export interface InMemoryLessonMemoryParams {
  /** Embeds lessons and queries; any `Embedder` (an offline lexical one works). */
  embedder: Embedder;
  clock?: Clock;
  /**
   * Share this memory's store, as a second process opening the same memory
   * would: for tests of concurrent writers. Default: a store of its own.
   */
  sharing?: InMemoryLessonMemory;
  /** How old (ms) reads may be; see `VersionedLessonMemoryParams`. Default: never stale, alone on its store. Give 0 to memories that share one. */
  freshnessMs?: number;
  /** See `VersionedLessonMemoryParams`. Default 0 (off). */
  liveIndexLessons?: number;
}

/**
 * A `LessonMemory` held in this process: for tests, and for users without
 * Chroma. Same rules as the Chroma one; search is a linear scan.
 */
export class InMemoryLessonMemory extends VersionedLessonMemory {
  readonly #backend: InMemoryBackend;

  constructor({ embedder, clock, sharing, freshnessMs = Number.POSITIVE_INFINITY, liveIndexLessons }: InMemoryLessonMemoryParams) {
    const backend = sharing === undefined ? new InMemoryBackend() : sharing.#backend;
    super({ backend, embedder, clock, freshnessMs, liveIndexLessons });
    this.#backend = backend;
  }
}
