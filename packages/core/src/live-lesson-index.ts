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
 * A tenant's vectors, L2-normalised (a zero vector stays zero), packed
 * dimension by dimension so that a search walks only the dimensions its query
 * uses, each over contiguous memory. Dense: `values[dimension * rows + row]`.
 * Sparse, when most values are zero (a lexical embedder fills about one in
 * eight): dimension `d` holds `values[starts[d]..starts[d + 1])` of the rows
 * `rowsOf[…]`, in row order. A row's score sums the same products in the same
 * order either way, so the two give the same scores to the bit.
 */
type PackedVectors =
  | { layout: "dense"; values: Float32Array }
  | { layout: "sparse"; starts: Int32Array; rowsOf: Int32Array; values: Float32Array };

/** Below this share of nonzero values a tenant's vectors are packed sparse: a scan then touches only them. */
const SPARSE_BELOW = 0.3;

/**
 * Lessons of one tenant and their vectors, packed. A lesson that stops being
 * live is marked `dead` in place; its row goes at the next repack.
 */
interface Segment {
  lessons: Lesson[];
  /** Each lesson as JSON: a search returns copies, and parsing one is cheaper than cloning it. */
  documents: string[];
  vectors: PackedVectors;
  /** The distinct scopes (user, agent) of the lessons: a search decides once per scope, not per lesson, which apply. */
  scopes: Scope[];
  /** Each row's index in `scopes`. */
  scopeOf: Uint16Array | Uint32Array;
  /** Row of each lesson id. */
  rowOf: Map<string, number>;
  /** 1 for a row no longer live. */
  dead: Uint8Array;
  deadCount: number;
}

/**
 * A tenant's lessons: most of them in `main`, the ones added since it was
 * last packed in `recent`. A move repacks only `recent` (and marks rows
 * dead), so it costs about the size of the change; `main` is repacked with
 * both once `recent` or the dead rows pass an eighth of it.
 */
interface Tenant {
  main: Segment | undefined;
  recent: Segment | undefined;
}

/** Each lesson's index in a list of their distinct scopes. */
function scopeIndex(lessons: readonly Lesson[]): { scopes: Scope[]; scopeOf: Uint16Array | Uint32Array } {
  const scopes: Scope[] = [];
  const byKey = new Map<string, number>();
  const scopeOf = lessons.length < 0xffff ? new Uint16Array(lessons.length) : new Uint32Array(lessons.length);
  lessons.forEach((lesson, row) => {
    const key = `${lesson.scope.user ?? ""}\u0000${lesson.scope.agent ?? ""}`;
    let index = byKey.get(key);
    if (index === undefined) {
      index = scopes.push(lesson.scope) - 1;
      byKey.set(key, index);
    }
    scopeOf[row] = index;
  });
  return { scopes, scopeOf };
}

/** The live rows of `parts`, in order, then `added`, normalised, in one segment; undefined when there are none. */
function pack(dimensions: number, parts: readonly (Segment | undefined)[], added: readonly LiveRecord[]): Segment | undefined {
  const kept = parts.flatMap((part) => {
    if (part === undefined) return [];
    const renumbered = new Int32Array(part.lessons.length);
    return [{ part, renumbered }];
  });
  let keptCount = 0;
  for (const { part, renumbered } of kept) part.lessons.forEach((_, row) => (renumbered[row] = part.dead[row] === 1 ? -1 : keptCount++));
  const count = keptCount + added.length;
  if (count === 0) return undefined;
  const addedVectors = added.map((record) => {
    let norm = 0;
    for (const value of record.vector) norm += value * value;
    const scale = norm === 0 ? 0 : 1 / Math.sqrt(norm);
    const normalised = new Float32Array(dimensions);
    for (let dimension = 0; dimension < dimensions; dimension++) normalised[dimension] = (record.vector[dimension] as number) * scale;
    return normalised;
  });
  // Every nonzero value: the kept rows part by part, then the added ones, so each dimension's rows come in order.
  const forEachValue = (visit: (dimension: number, row: number, value: number) => void) => {
    for (const { part, renumbered } of kept) forEachKept(part.vectors, part.lessons.length, dimensions, renumbered, visit);
    addedVectors.forEach((vector, index) => {
      for (let dimension = 0; dimension < dimensions; dimension++) if (vector[dimension] !== 0) visit(dimension, keptCount + index, vector[dimension] as number);
    });
  };
  const perDimension = new Int32Array(dimensions);
  forEachValue((dimension) => (perDimension[dimension] = (perDimension[dimension] as number) + 1));
  const nonzero = perDimension.reduce((sum, n) => sum + n, 0);
  let vectors: PackedVectors;
  if (nonzero < SPARSE_BELOW * count * dimensions) {
    const starts = new Int32Array(dimensions + 1);
    for (let dimension = 0; dimension < dimensions; dimension++) starts[dimension + 1] = (starts[dimension] as number) + (perDimension[dimension] as number);
    const next = starts.slice(0, dimensions);
    const rowsOf = new Int32Array(nonzero);
    const values = new Float32Array(nonzero);
    forEachValue((dimension, row, value) => {
      const entry = next[dimension] as number;
      rowsOf[entry] = row;
      values[entry] = value;
      next[dimension] = entry + 1;
    });
    vectors = { layout: "sparse", starts, rowsOf, values };
  } else {
    const values = new Float32Array(count * dimensions);
    forEachValue((dimension, row, value) => (values[dimension * count + row] = value));
    vectors = { layout: "dense", values };
  }
  const lessons: Lesson[] = [];
  const documents: string[] = [];
  for (const { part, renumbered } of kept) {
    part.lessons.forEach((lesson, row) => {
      if ((renumbered[row] as number) < 0) return;
      lessons.push(lesson);
      documents.push(part.documents[row] as string);
    });
  }
  for (const record of added) {
    lessons.push(record.lesson);
    documents.push(JSON.stringify(record.lesson));
  }
  return { lessons, documents, vectors, ...scopeIndex(lessons), rowOf: new Map(lessons.map((lesson, row) => [lesson.id, row])), dead: new Uint8Array(count), deadCount: 0 };
}

/** Calls `visit` for every nonzero value of the rows kept (`renumbered` ≥ 0), under their new numbers, dimension by dimension, rows in order. */
function forEachKept(vectors: PackedVectors, oldCount: number, dimensions: number, renumbered: Int32Array, visit: (dimension: number, row: number, value: number) => void): void {
  if (vectors.layout === "dense") {
    for (let dimension = 0; dimension < dimensions; dimension++) {
      const base = dimension * oldCount;
      for (let row = 0; row < oldCount; row++) {
        const value = vectors.values[base + row] as number;
        const to = renumbered[row] as number;
        if (value !== 0 && to >= 0) visit(dimension, to, value);
      }
    }
    return;
  }
  const { starts, rowsOf, values } = vectors;
  for (let dimension = 0; dimension < dimensions; dimension++) {
    for (let entry = starts[dimension] as number, end = starts[dimension + 1] as number; entry < end; entry++) {
      const to = renumbered[rowsOf[entry] as number] as number;
      if (to >= 0) visit(dimension, to, values[entry] as number);
    }
  }
}

/** Freezes `value` and everything in it: lessons shared by `search` cannot be changed by whoever gets them. */
function deepFreeze(value: unknown): void {
  if (typeof value !== "object" || value === null || Object.isFrozen(value)) return;
  Object.freeze(value);
  for (const inner of Object.values(value)) deepFreeze(inner);
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

  /** Whether a hit of this score could enter (one that ties the last may, by its id). */
  mayTake(score: number): boolean {
    const last = this.hits[this.k - 1];
    return this.k > 0 && (last === undefined || score >= last.score);
  }

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
  readonly #tenants = new Map<string, Tenant>();
  /** Each search's scores, reused: a search runs synchronously, start to end. */
  #scores = new Float64Array(0);

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
    const addedByTenant = new Map<string, LiveRecord[]>();
    for (const record of added) {
      deepFreeze(record.lesson);
      const tenant = record.lesson.scope.tenant;
      const list = addedByTenant.get(tenant);
      if (list === undefined) addedByTenant.set(tenant, [record]);
      else list.push(record);
    }
    const touched = new Set(addedByTenant.keys());
    for (const id of [...removed, ...added.map((record) => record.lesson.id)]) {
      const tenant = this.#tenantOf.get(id);
      if (tenant === undefined) continue;
      touched.add(tenant);
      const { main, recent } = this.#tenants.get(tenant) ?? {};
      for (const segment of [main, recent]) {
        const row = segment?.rowOf.get(id);
        if (segment === undefined || row === undefined || segment.dead[row] === 1) continue;
        segment.dead[row] = 1;
        segment.deadCount += 1;
      }
      this.#tenantOf.delete(id);
    }
    for (const tenant of touched) this.#move(tenant, addedByTenant.get(tenant) ?? []);
    for (const record of added) this.#tenantOf.set(record.lesson.id, record.lesson.scope.tenant);
    this.#version = version;
  }

  /** Adds a tenant's new rows to its recent segment, and repacks its main one when that has grown or holds many dead rows. */
  #move(name: string, added: readonly LiveRecord[]): void {
    const tenant = this.#tenants.get(name) ?? { main: undefined, recent: undefined };
    if (added.length > 0 || (tenant.recent?.deadCount ?? 0) > 0) tenant.recent = pack(this.#dimensions, [tenant.recent], added);
    const mainRows = tenant.main?.lessons.length ?? 0;
    if ((tenant.recent?.lessons.length ?? 0) * 8 > mainRows || (tenant.main?.deadCount ?? 0) * 8 > mainRows) {
      tenant.main = pack(this.#dimensions, [tenant.main, tenant.recent], []);
      tenant.recent = undefined;
    }
    if (tenant.main === undefined && tenant.recent === undefined) this.#tenants.delete(name);
    else this.#tenants.set(name, tenant);
  }

  /** Each row's dot product with the (normalised) query: the index's reused buffer, valid until the next scan. */
  #scan(vectors: PackedVectors, count: number, query: Float32Array): Float64Array {
    if (this.#scores.length < count) this.#scores = new Float64Array(count);
    const scores = this.#scores;
    scores.fill(0, 0, count);
    const dimensions = this.#dimensions;
    if (vectors.layout === "dense") {
      const { values } = vectors;
      for (let dimension = 0; dimension < dimensions; dimension++) {
        const weight = query[dimension] as number;
        if (weight === 0) continue;
        const base = dimension * count;
        for (let row = 0; row < count; row++) scores[row] = (scores[row] as number) + weight * (values[base + row] as number);
      }
      return scores;
    }
    const { starts, rowsOf, values } = vectors;
    for (let dimension = 0; dimension < dimensions; dimension++) {
      const weight = query[dimension] as number;
      if (weight === 0) continue;
      for (let entry = starts[dimension] as number, end = starts[dimension + 1] as number; entry < end; entry++) {
        const row = rowsOf[entry] as number;
        scores[row] = (scores[row] as number) + weight * (values[entry] as number);
      }
    }
    return scores;
  }

  /**
   * The `k` nearest live lessons that apply to `scope` (cosine similarity),
   * and with `tools` also the `k` nearest anchored to any of them, each once:
   * what `LessonMemoryBackend.searchLessons` returns. Copies, unless `shared`:
   * then the index's own lessons, frozen.
   */
  search({ vector, scope, k, kinds, tools, shared = false }: { vector: readonly number[]; scope: Scope; k: number; kinds?: readonly LessonKind[]; tools?: readonly string[]; shared?: boolean }): ScoredLesson[] {
    const tenant = this.#tenants.get(scope.tenant);
    if (tenant === undefined) return [];
    const dimensions = this.#dimensions;
    let norm = 0;
    for (const value of vector) norm += value * value;
    const query = new Float32Array(dimensions);
    if (norm > 0) for (let index = 0; index < dimensions; index++) query[index] = (vector[index] ?? 0) / Math.sqrt(norm);
    const available = tools === undefined || tools.length === 0 ? undefined : new Set(tools);
    const nearest = new TopK<Lesson>(k);
    const anchored = new TopK<Lesson>(k);
    const documentOf = new Map<Lesson, string>();
    for (const segment of [tenant.main, tenant.recent]) {
      if (segment === undefined) continue;
      const { lessons, vectors, dead, scopeOf } = segment;
      const scores = this.#scan(vectors, lessons.length, query);
      const applies = Uint8Array.from(segment.scopes, (owner) => (scopeApplies(owner, scope) ? 1 : 0));
      for (let row = 0; row < lessons.length; row++) {
        if (applies[scopeOf[row] as number] === 0 || dead[row] === 1) continue;
        const score = scores[row] as number;
        // Most rows score below the k-th best: those are passed over without reading their lesson.
        const mayBeNearest = nearest.mayTake(score);
        if (!mayBeNearest && available === undefined) continue;
        const lesson = lessons[row] as Lesson;
        if (kinds !== undefined && !kinds.includes(lesson.kind)) continue;
        if (mayBeNearest) nearest.offer(lesson.id, score, lesson);
        if (available !== undefined && lessonAnchoredTo(lesson, available)) anchored.offer(lesson.id, score, lesson);
        if (!shared) documentOf.set(lesson, segment.documents[row] as string);
      }
    }
    const copy = (hits: readonly Hit<Lesson>[]) =>
      hits.map((hit): ScoredLesson => ({ lesson: shared ? hit.item : (JSON.parse(documentOf.get(hit.item) as string) as Lesson), score: hit.score }));
    return available === undefined ? copy(nearest.hits) : mergeHits(copy(nearest.hits), copy(anchored.hits));
  }
}
