import { lessonAnchoredTo, type Lesson, type LessonKind } from "./lesson.js";
import type { ScoredLesson } from "./lesson-memory.js";
import { mergeHits } from "./lesson-memory-backend.js";
import { scopeApplies, type Scope } from "./scope.js";

/** A live lesson and its vector, as a backend stores them. */
export interface LiveRecord {
  lesson: Lesson;
  vector: readonly number[];
}

/** One tenant's lessons: their vectors packed row by row, L2-normalised (a zero vector stays zero). */
interface TenantRows {
  lessons: Lesson[];
  vectors: Float32Array;
}

/** The `k` best hits by score, then id (the order every backend returns). */
class TopK {
  readonly hits: ScoredLesson[] = [];
  constructor(private readonly k: number) {}

  offer(lesson: Lesson, score: number): void {
    const { hits, k } = this;
    if (k === 0) return;
    const last = hits[hits.length - 1];
    if (hits.length === k && last !== undefined && !before(score, lesson.id, last)) return;
    let index = hits.length;
    while (index > 0 && before(score, lesson.id, hits[index - 1] as ScoredLesson)) index--;
    hits.splice(index, 0, { lesson, score });
    if (hits.length > k) hits.pop();
  }
}

const before = (score: number, id: string, other: ScoredLesson) => score > other.score || (score === other.score && id < other.lesson.id);

/**
 * The live lessons of one memory version with their vectors, held in this
 * process: an exact nearest-neighbour search under the scope rules every
 * backend applies (`scopeApplies`, kinds, tool anchors). A version's live set
 * never changes once stored, so the index is exact for its version; moving it
 * to a newer version applies only the lessons that differ between the two.
 * Lessons are grouped by tenant, since a lesson applies only within its own.
 */
export class LiveLessonIndex {
  #version: number;
  readonly #dimensions: number;
  /** The tenant of each live lesson, by id. */
  readonly #tenantOf = new Map<string, string>();
  readonly #tenants = new Map<string, TenantRows>();

  constructor(version: number, dimensions: number) {
    this.#version = version;
    this.#dimensions = dimensions;
  }

  /** The memory version whose live lessons this holds. */
  get version(): number {
    return this.#version;
  }

  get size(): number {
    return this.#tenantOf.size;
  }

  /**
   * Moves the index to `version`: lessons in `removed` stop being live, the
   * records in `added` become live (a lesson in both is replaced). Synchronous,
   * so a search sees the index at one version or the other, never between.
   */
  apply(version: number, removed: readonly string[], added: readonly LiveRecord[]): void {
    for (const record of added) {
      if (record.vector.length !== this.#dimensions) throw new RangeError(`A vector of ${record.vector.length} dimensions in an index of ${this.#dimensions}.`);
    }
    const dropped = new Set([...removed, ...added.map((record) => record.lesson.id)]);
    const addedByTenant = new Map<string, LiveRecord[]>();
    for (const record of added) addedByTenant.set(record.lesson.scope.tenant, [...(addedByTenant.get(record.lesson.scope.tenant) ?? []), record]);
    const touched = new Set([...[...dropped].flatMap((id) => this.#tenantOf.get(id) ?? []), ...addedByTenant.keys()]);
    for (const tenant of touched) this.#repack(tenant, dropped, addedByTenant.get(tenant) ?? []);
    for (const id of dropped) this.#tenantOf.delete(id);
    for (const record of added) this.#tenantOf.set(record.lesson.id, record.lesson.scope.tenant);
    this.#version = version;
  }

  /** A tenant's rows without the `dropped` lessons and with `added` appended, normalised. */
  #repack(tenant: string, dropped: ReadonlySet<string>, added: readonly LiveRecord[]): void {
    const dimensions = this.#dimensions;
    const old = this.#tenants.get(tenant) ?? { lessons: [], vectors: new Float32Array(0) };
    const kept = old.lessons.flatMap((lesson, row) => (dropped.has(lesson.id) ? [] : [row]));
    const count = kept.length + added.length;
    if (count === 0) {
      this.#tenants.delete(tenant);
      return;
    }
    const vectors = new Float32Array(count * dimensions);
    kept.forEach((row, index) => vectors.set(old.vectors.subarray(row * dimensions, (row + 1) * dimensions), index * dimensions));
    added.forEach((record, index) => {
      let norm = 0;
      for (const value of record.vector) norm += value * value;
      const scale = norm === 0 ? 0 : 1 / Math.sqrt(norm);
      const offset = (kept.length + index) * dimensions;
      for (let dimension = 0; dimension < dimensions; dimension++) vectors[offset + dimension] = (record.vector[dimension] as number) * scale;
    });
    this.#tenants.set(tenant, { lessons: [...kept.map((row) => old.lessons[row] as Lesson), ...added.map((record) => record.lesson)], vectors });
  }

  /**
   * The `k` nearest live lessons that apply to `scope` (cosine similarity),
   * and with `tools` also the `k` nearest anchored to any of them, each once:
   * what `LessonMemoryBackend.searchLessons` returns.
   */
  search({ vector, scope, k, kinds, tools }: { vector: readonly number[]; scope: Scope; k: number; kinds?: readonly LessonKind[]; tools?: readonly string[] }): ScoredLesson[] {
    const rows = this.#tenants.get(scope.tenant);
    if (rows === undefined) return [];
    const dimensions = this.#dimensions;
    let norm = 0;
    for (const value of vector) norm += value * value;
    const query = new Float32Array(dimensions);
    if (norm > 0) for (let index = 0; index < dimensions; index++) query[index] = (vector[index] ?? 0) / Math.sqrt(norm);
    const available = tools === undefined || tools.length === 0 ? undefined : new Set(tools);
    const nearest = new TopK(k);
    const anchored = new TopK(k);
    const { lessons, vectors } = rows;
    for (let row = 0; row < lessons.length; row++) {
      const lesson = lessons[row] as Lesson;
      if (!scopeApplies(lesson.scope, scope) || (kinds !== undefined && !kinds.includes(lesson.kind))) continue;
      let dot = 0;
      const offset = row * dimensions;
      for (let index = 0; index < dimensions; index++) dot += (query[index] as number) * (vectors[offset + index] as number);
      nearest.offer(lesson, dot);
      if (available !== undefined && lessonAnchoredTo(lesson, available)) anchored.offer(lesson, dot);
    }
    const copy = (hits: readonly ScoredLesson[]) => hits.map((hit) => ({ lesson: structuredClone(hit.lesson), score: hit.score }));
    return available === undefined ? copy(nearest.hits) : copy(mergeHits(nearest.hits, anchored.hits));
  }
}
