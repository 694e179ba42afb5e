import { lessonAnchoredTo, type Lesson, type LessonKind } from "./lesson.js";
import type { ScoredLesson } from "./lesson-memory.js";
import { mergeHits } from "./lesson-memory-backend.js";
import { scopeApplies, type Scope } from "./scope.js";

/** A live lesson and its vector, as a backend stores them. */
export interface LiveRecord {
  lesson: Lesson;
  vector: readonly number[];
}

/**
 * One tenant's lessons and their vectors, L2-normalised (a zero vector stays
 * zero), packed dimension by dimension: `vectors[dimension * lessons.length + row]`.
 * A search then walks only the dimensions its query uses, each over contiguous
 * memory — a lexical query uses a fifth of them — and the sums stay exact.
 */
interface TenantRows {
  lessons: Lesson[];
  /** Each lesson as JSON: a search returns copies, and parsing one is cheaper than cloning it. */
  documents: string[];
  vectors: Float32Array;
}

interface Hit<T> {
  id: string;
  score: number;
  item: T;
}

/** The `k` best hits by score, then id (the order every backend returns). */
class TopK<T> {
  readonly hits: Hit<T>[] = [];
  constructor(private readonly k: number) {}

  offer(id: string, score: number, item: T): void {
    const { hits, k } = this;
    if (k === 0) return;
    const last = hits[hits.length - 1];
    if (hits.length === k && last !== undefined && !before(score, id, last)) return;
    let index = hits.length;
    while (index > 0 && before(score, id, hits[index - 1] as Hit<T>)) index--;
    hits.splice(index, 0, { id, score, item });
    if (hits.length > k) hits.pop();
  }
}

const before = (score: number, id: string, other: Hit<unknown>) => score > other.score || (score === other.score && id < other.id);

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
    const old = this.#tenants.get(tenant) ?? { lessons: [], documents: [], vectors: new Float32Array(0) };
    const kept = old.lessons.flatMap((lesson, row) => (dropped.has(lesson.id) ? [] : [row]));
    const count = kept.length + added.length;
    if (count === 0) {
      this.#tenants.delete(tenant);
      return;
    }
    const vectors = new Float32Array(count * dimensions);
    const oldCount = old.lessons.length;
    const scales = added.map((record) => {
      let norm = 0;
      for (const value of record.vector) norm += value * value;
      return norm === 0 ? 0 : 1 / Math.sqrt(norm);
    });
    for (let dimension = 0; dimension < dimensions; dimension++) {
      const base = dimension * count;
      kept.forEach((row, index) => (vectors[base + index] = old.vectors[dimension * oldCount + row] as number));
      added.forEach((record, index) => (vectors[base + kept.length + index] = (record.vector[dimension] as number) * (scales[index] as number)));
    }
    this.#tenants.set(tenant, {
      lessons: [...kept.map((row) => old.lessons[row] as Lesson), ...added.map((record) => record.lesson)],
      documents: [...kept.map((row) => old.documents[row] as string), ...added.map((record) => JSON.stringify(record.lesson))],
      vectors,
    });
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
    const nearest = new TopK<number>(k);
    const anchored = new TopK<number>(k);
    const { lessons, vectors } = rows;
    const count = lessons.length;
    const scores = new Float64Array(count);
    for (let dimension = 0; dimension < dimensions; dimension++) {
      const weight = query[dimension] as number;
      if (weight === 0) continue;
      const base = dimension * count;
      for (let row = 0; row < count; row++) scores[row] = (scores[row] as number) + weight * (vectors[base + row] as number);
    }
    for (let row = 0; row < count; row++) {
      const lesson = lessons[row] as Lesson;
      if (!scopeApplies(lesson.scope, scope) || (kinds !== undefined && !kinds.includes(lesson.kind))) continue;
      const score = scores[row] as number;
      nearest.offer(lesson.id, score, row);
      if (available !== undefined && lessonAnchoredTo(lesson, available)) anchored.offer(lesson.id, score, row);
    }
    const { documents } = rows;
    const copy = (hits: readonly Hit<number>[]) => hits.map((hit): ScoredLesson => ({ lesson: JSON.parse(documents[hit.item] as string) as Lesson, score: hit.score }));
    return available === undefined ? copy(nearest.hits) : mergeHits(copy(nearest.hits), copy(anchored.hits));
  }
}
