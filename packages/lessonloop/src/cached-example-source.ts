import type { Clock, Embedder } from "@lessonloop/core";
import { cosineSimilarity, exampleValidAt, scopeApplies, type Example, type ExampleStore } from "@lessonloop/core/internal";
import type { ExampleSource, ExperienceExample } from "@lessonloop/replay-retriever";

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

interface TenantCopy {
  examples: Example[];
  vectors: number[][];
  loadedAt: number;
}

/**
 * An {@link ExampleSource} answered in this process: each tenant's examples
 * (every scope in it, stale ones too, so reads at a pinned version see what
 * was valid then) copied from the store with their task vectors, searched by
 * an exact cosine scan under the store's rules (scope applies, valid at the
 * version). A tenant's first read is answered by the store while its copy
 * loads; a copy older than `freshnessMs` is reloaded in the background, so no
 * read waits for Chroma once a tenant is loaded. `refresh()` reloads the
 * loaded copies now: the learning loop calls it after its own writes, off the
 * agent's path, so what it recorded or made stale is served at once.
 */
export function createCachedExampleSource({ store, embedder, clock, freshnessMs = 30_000, onError }: CachedExampleSourceParams): ExampleSource & { refresh(): Promise<void> } {
  const copies = new Map<string, TenantCopy>();
  const loading = new Map<string, Promise<void>>();

  function load(tenant: string): Promise<void> {
    const running = loading.get(tenant);
    if (running !== undefined) return running;
    const started = clock.now().getTime();
    // A reload reuses the vectors of the tasks it already holds: a task never changes under its id.
    const done = (async () => {
      const examples = await store.list({ scope: { tenant }, match: "within", includeStale: true });
      const known = new Map(copies.get(tenant)?.examples.map((example, index) => [example.input, copies.get(tenant)?.vectors[index] as number[]]));
      const missing = [...new Set(examples.map((example) => example.input).filter((input) => !known.has(input)))];
      if (missing.length > 0) {
        const vectors = await embedder.embedDocuments(missing);
        missing.forEach((input, index) => known.set(input, vectors[index] as number[]));
      }
      copies.set(tenant, { examples, vectors: examples.map((example) => known.get(example.input) as number[]), loadedAt: started });
    })().finally(() => loading.delete(tenant));
    loading.set(tenant, done);
    return done;
  }

  return {
    async findExamples({ query, scope, k, version }): Promise<ExperienceExample[]> {
      const copy = copies.get(scope.tenant);
      if (copy === undefined || clock.now().getTime() - copy.loadedAt > freshnessMs) load(scope.tenant).catch(onError);
      if (copy === undefined) {
        const found = await store.search({ query, scope, k, match: "applies", ...(version === undefined ? {} : { version }) });
        return found.map(({ example, score }) => served(example, score));
      }
      const vector = await embedder.embedQuery(query);
      const scored: ExperienceExample[] = [];
      copy.examples.forEach((example, index) => {
        if (!scopeApplies(example.scope, scope)) return;
        if (version === undefined ? example.staleSince !== undefined : !exampleValidAt(example, version)) return;
        scored.push(served(example, cosineSimilarity(vector, copy.vectors[index] as number[])));
      });
      scored.sort((a, b) => b.score - a.score || a.id.localeCompare(b.id));
      return scored.slice(0, k);
    },
    async refresh() {
      // A load already running may have read before the write: wait for it, then read again.
      await Promise.all(
        [...copies.keys()].map(async (tenant) => {
          await loading.get(tenant)?.catch(() => undefined);
          await load(tenant);
        }),
      );
    },
  };
}

function served(example: Example, score: number): ExperienceExample {
  return { id: example.id, input: example.input, steps: [...example.steps], score };
}

/** `store`, with `refresh` awaited after every write that changed something: the loop's own writes are served at once. */
export function refreshedAfterWrites(store: ExampleStore, refresh: () => Promise<void>): ExampleStore {
  return {
    get: (id, options) => store.get(id, options),
    search: (request) => store.search(request),
    list: (request) => store.list(request),
    count: () => store.count(),
    async add(examples) {
      await store.add(examples);
      await refresh();
    },
    async markStale(request) {
      const marked = await store.markStale(request);
      if (marked.length > 0) await refresh();
      return marked;
    },
    async delete(ids) {
      await store.delete(ids);
      if (ids.length > 0) await refresh();
    },
  };
}
