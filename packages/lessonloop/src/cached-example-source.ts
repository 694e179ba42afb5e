import type { Clock, Embedder } from "@lessonloop/core";
import {
  ExampleSchema,
  MarkStaleRequestSchema,
  exampleValidAt,
  markedStale,
  parseWith,
  scopeApplies,
  staleRequestSelects,
  type Example,
  type ExampleStore,
} from "@lessonloop/core/internal";
import type { ExampleSource, ExperienceExample } from "@lessonloop/replay-retriever";
import type { z } from "zod";

/** Parameters of {@link createCachedExampleSource}. */
export interface CachedExampleSourceParams {
  /** Where the examples are kept. */
  store: ExampleStore;
  /** The store's embedder: the copy scores tasks as the store does. */
  embedder: Embedder;
  clock: Clock;
  /** How old (ms) a tenant's copy may be before a read has it reloaded in the background: what other processes write is seen within it. Default 30,000. */
  freshnessMs?: number;
  /** Told when a background load fails (the copy stays as it was; a tenant never loaded is still served by the store). */
  onError: (error: unknown) => void;
}

interface Entry {
  example: Example;
  /** The task's vector scaled to length 1: a dot product is the cosine. */
  unit: Float32Array;
}

/** `vector` scaled to length 1 (zeros stay zeros). */
function unitVector(vector: readonly number[]): Float32Array {
  const unit = Float32Array.from(vector);
  let norm = 0;
  for (const value of unit) norm += value * value;
  if (norm > 0) {
    const scale = 1 / Math.sqrt(norm);
    for (let i = 0; i < unit.length; i++) unit[i] = (unit[i] as number) * scale;
  }
  return unit;
}

function dot(a: Float32Array, b: Float32Array): number {
  let sum = 0;
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) sum += (a[i] as number) * (b[i] as number);
  return sum;
}

interface TenantCopy {
  entries: Map<string, Entry>;
  loadedAt: number;
}

/** A change the loop made to the store, made to a tenant's copy the same way. */
type Patch = (entries: Map<string, Entry>) => void;

/** What the loop tells the copy about its own writes: what it added, made stale, deleted. */
export interface ExampleWrites {
  added(examples: readonly Example[]): Promise<void>;
  markedStale(request: z.output<typeof MarkStaleRequestSchema>, ids: readonly string[]): void;
  deleted(ids: readonly string[]): void;
}

/**
 * An {@link ExampleSource} answered in this process: each tenant's examples
 * (every scope in it, stale ones too, so reads at a pinned version see what
 * was valid then) copied from the store with their task vectors, searched by
 * an exact cosine scan under the store's rules (scope applies, valid at the
 * version). A tenant's first read is answered by the store while its copy
 * loads; a copy older than `freshnessMs` is reloaded in the background, so no
 * read waits for Chroma once a tenant is loaded. The loop's own writes
 * ({@link mirroredWrites}) are made to the copies as they are made to the
 * store — also to a copy loading meanwhile — so what it records or makes
 * stale is served at once, without a reload.
 */
export function createCachedExampleSource({ store, embedder, clock, freshnessMs = 30_000, onError }: CachedExampleSourceParams): ExampleSource & ExampleWrites {
  const copies = new Map<string, TenantCopy>();
  const loading = new Map<string, Promise<void>>();
  /** Patches made while a tenant loads: the loaded copy may predate them. */
  const patchedWhileLoading = new Map<string, Patch[]>();

  /** Vectors of tasks the copies hold: a task never changes under its id, so a reload embeds only new ones. */
  async function vectorsOf(examples: readonly Example[], known: Map<string, Float32Array>): Promise<Float32Array[]> {
    const missing = [...new Set(examples.map((example) => example.input).filter((input) => !known.has(input)))];
    if (missing.length > 0) {
      const vectors = await embedder.embedDocuments(missing);
      missing.forEach((input, index) => known.set(input, unitVector(vectors[index] as number[])));
    }
    return examples.map((example) => known.get(example.input) as Float32Array);
  }

  const knownVectors = (tenant: string) => new Map([...(copies.get(tenant)?.entries.values() ?? [])].map(({ example, unit }) => [example.input, unit]));

  function load(tenant: string): Promise<void> {
    const running = loading.get(tenant);
    if (running !== undefined) return running;
    const started = clock.now().getTime();
    patchedWhileLoading.set(tenant, []);
    const done = (async () => {
      const examples = await store.list({ scope: { tenant }, match: "within", includeStale: true });
      const vectors = await vectorsOf(examples, knownVectors(tenant));
      const entries = new Map(examples.map((example, index) => [example.id, { example, unit: vectors[index] as Float32Array }]));
      for (const patch of patchedWhileLoading.get(tenant) ?? []) patch(entries);
      copies.set(tenant, { entries, loadedAt: started });
    })().finally(() => {
      loading.delete(tenant);
      patchedWhileLoading.delete(tenant);
    });
    loading.set(tenant, done);
    return done;
  }

  /** Makes a change to a tenant's copy, and to the one loading, if any. */
  function patch(tenant: string, change: Patch): void {
    const copy = copies.get(tenant);
    if (copy !== undefined) change(copy.entries);
    patchedWhileLoading.get(tenant)?.push(change);
  }
  const heldTenants = () => new Set([...copies.keys(), ...loading.keys()]);

  return {
    async findExamples({ query, scope, k, version }): Promise<ExperienceExample[]> {
      const copy = copies.get(scope.tenant);
      if (copy === undefined || clock.now().getTime() - copy.loadedAt > freshnessMs) load(scope.tenant).catch(onError);
      if (copy === undefined) {
        const found = await store.search({ query, scope, k, match: "applies", ...(version === undefined ? {} : { version }) });
        return found.map(({ example, score }) => served(example, score));
      }
      const queryUnit = unitVector(await embedder.embedQuery(query));
      const scored: ExperienceExample[] = [];
      for (const { example, unit } of copy.entries.values()) {
        if (!scopeApplies(example.scope, scope)) continue;
        if (version === undefined ? example.staleSince !== undefined : !exampleValidAt(example, version)) continue;
        scored.push(served(example, dot(queryUnit, unit)));
      }
      scored.sort((a, b) => b.score - a.score || a.id.localeCompare(b.id));
      return scored.slice(0, k);
    },
    async added(examples) {
      const held = heldTenants();
      for (const tenant of new Set(examples.map((example) => example.scope.tenant))) {
        if (!held.has(tenant)) continue;
        const own = examples.filter((example) => example.scope.tenant === tenant);
        const vectors = await vectorsOf(own, knownVectors(tenant));
        patch(tenant, (entries) => own.forEach((example, index) => entries.set(example.id, { example, unit: vectors[index] as Float32Array })));
      }
    },
    markedStale(request, ids) {
      for (const tenant of heldTenants()) {
        patch(tenant, (entries) => {
          for (const id of ids) {
            const entry = entries.get(id);
            if (entry !== undefined && staleRequestSelects(request, entry.example)) entries.set(id, { ...entry, example: markedStale(entry.example, request) });
          }
        });
      }
    },
    deleted(ids) {
      for (const tenant of heldTenants()) patch(tenant, (entries) => ids.forEach((id) => entries.delete(id)));
    },
  };
}

function served(example: Example, score: number): ExperienceExample {
  return { id: example.id, input: example.input, steps: [...example.steps], score };
}

/** `store`, with every write that changed something made to `copies` too: the loop's own writes are served at once. */
export function mirroredWrites(store: ExampleStore, copies: ExampleWrites): ExampleStore {
  return {
    get: (id, options) => store.get(id, options),
    search: (request) => store.search(request),
    list: (request) => store.list(request),
    count: () => store.count(),
    async add(examples) {
      await store.add(examples);
      await copies.added(parseWith(ExampleSchema.array(), examples, "examples"));
    },
    async markStale(request) {
      const marked = await store.markStale(request);
      if (marked.length > 0) copies.markedStale(parseWith(MarkStaleRequestSchema, request, "mark-stale request"), marked);
      return marked;
    },
    async delete(ids) {
      await store.delete(ids);
      copies.deleted(ids);
    },
  };
}
