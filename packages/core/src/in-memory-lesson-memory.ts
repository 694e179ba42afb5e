import type { Clock } from "./clock.js";
import { cosineSimilarity, type Embedder } from "./embedder.js";
import type { Lesson } from "./lesson.js";
import type { LessonMemoryBackend, LessonRecord, Visibility } from "./lesson-memory-backend.js";
import type { ScoredLesson } from "./lesson-memory.js";
import { scopeApplies, scopeContains } from "./scope.js";
import type { Snapshot } from "./snapshot.js";
import { inRanges } from "./snapshot-log.js";
import { VersionedLessonMemory } from "./versioned-lesson-memory.js";

const recordKey = (id: string, addedIn: number) => `${id}@${addedIn}`;

function isVisible(record: LessonRecord, visibility: Visibility): boolean {
  return inRanges(visibility.lineage, record.addedIn) && !visibility.retired.has(record.lesson.id);
}

/** Keeps snapshots and lesson records in this process's memory. */
class InMemoryBackend implements LessonMemoryBackend {
  readonly #snapshots: Snapshot[] = [];
  readonly #records = new Map<string, LessonRecord>();

  async loadSnapshots(afterVersion: number): Promise<Snapshot[]> {
    return this.#snapshots.slice(afterVersion + 1).map((snapshot) => structuredClone(snapshot));
  }

  async appendSnapshot(snapshot: Snapshot): Promise<boolean> {
    if (snapshot.version !== this.#snapshots.length) return false;
    this.#snapshots.push(structuredClone(snapshot));
    return true;
  }

  async discardUncommitted(fromVersion: number): Promise<void> {
    for (const [key, record] of this.#records) if (record.addedIn >= fromVersion) this.#records.delete(key);
  }

  async putLessons(records: readonly LessonRecord[]): Promise<void> {
    for (const record of records) this.#records.set(recordKey(record.lesson.id, record.addedIn), structuredClone(record));
  }

  async getLessons(keys: readonly { id: string; addedIn: number }[]): Promise<Lesson[]> {
    return keys.flatMap(({ id, addedIn }) => {
      const record = this.#records.get(recordKey(id, addedIn));
      return record === undefined ? [] : [structuredClone(record.lesson)];
    });
  }

  async searchLessons({ vector, scope, visibility, k, kinds }: Parameters<LessonMemoryBackend["searchLessons"]>[0]): Promise<ScoredLesson[]> {
    const scored: ScoredLesson[] = [];
    for (const record of this.#records.values()) {
      if (!isVisible(record, visibility) || !scopeApplies(record.lesson.scope, scope)) continue;
      if (kinds !== undefined && !kinds.includes(record.lesson.kind)) continue;
      scored.push({ lesson: structuredClone(record.lesson), score: cosineSimilarity(vector, record.vector) });
    }
    scored.sort((a, b) => b.score - a.score || a.lesson.id.localeCompare(b.lesson.id));
    return scored.slice(0, k);
  }

  async listLessons({ scope, visibility }: Parameters<LessonMemoryBackend["listLessons"]>[0]): Promise<Lesson[]> {
    const lessons: Lesson[] = [];
    for (const record of this.#records.values()) {
      if (!isVisible(record, visibility)) continue;
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
}

/**
 * A `LessonMemory` held in this process: for tests, and for users without
 * Chroma. Same rules as the Chroma one; search is a linear scan.
 */
export class InMemoryLessonMemory extends VersionedLessonMemory {
  constructor({ embedder, clock }: InMemoryLessonMemoryParams) {
    super({ backend: new InMemoryBackend(), embedder, clock, freshnessMs: Number.POSITIVE_INFINITY });
  }
}
