import { cosineSimilarity, type Embedder } from "./embedder.js";
import { LessonloopError } from "./errors.js";
import {
  ExampleListSchema,
  ExampleSearchSchema,
  MarkStaleRequestSchema,
  embedExamples,
  exampleScopeMatches,
  exampleServed,
  markedStale,
  oldestFirst,
  staleRequestSelects,
  type ExampleList,
  type ExampleSearch,
  type ExampleStore,
  type MarkStaleRequest,
  type ScoredExample,
} from "./example-store.js";
import { ExampleSchema, type Example, type ExampleInput } from "./example.js";
import { IdSchema } from "./ids.js";
import { parseWith } from "./parse.js";
import { ScopeSchema, scopeContains, type Scope } from "./scope.js";
import { decodeRecord, encodeRecord } from "./stored-record.js";

export interface InMemoryExampleStoreParams {
  /** Embeds example tasks and queries; any `Embedder` (the offline lexical one works). */
  embedder: Embedder;
}

interface StoredExample {
  document: string;
  vector: number[];
}

/**
 * An `ExampleStore` held in this process: for tests, and for users without
 * Chroma. Same rules as the Chroma one; records are kept encoded and parsed
 * on every read, as a persistent store keeps them. Search is a linear scan.
 */
export class InMemoryExampleStore implements ExampleStore {
  readonly #embedder: Embedder;
  readonly #examples = new Map<string, StoredExample>();

  constructor({ embedder }: InMemoryExampleStoreParams) {
    this.#embedder = embedder;
  }

  async add(examples: readonly ExampleInput[]): Promise<void> {
    const { examples: unique, vectors } = await embedExamples(examples, this.#embedder);
    unique.forEach((example, index) => {
      this.#examples.set(example.id, { document: encodeRecord(example), vector: [...(vectors[index] as number[])] });
    });
  }

  async get(id: string, options: { scope?: Scope } = {}): Promise<Example> {
    const wanted = parseWith(IdSchema, id, "example id");
    const scope = options.scope === undefined ? undefined : parseWith(ScopeSchema, options.scope, "example scope");
    const stored = this.#examples.get(wanted);
    const example = stored === undefined ? undefined : decode(stored.document);
    if (example === undefined || (scope !== undefined && !scopeContains(scope, example.scope))) {
      throw new LessonloopError("not_found", `No example with id "${wanted}" in this in-memory store. Check the id, or the scope it was asked in.`, {
        details: { id: wanted },
      });
    }
    return example;
  }

  async search(request: ExampleSearch): Promise<ScoredExample[]> {
    const parsed = parseWith(ExampleSearchSchema, request, "example search");
    const vector = await this.#embedder.embedQuery(parsed.query);
    const found: ScoredExample[] = [];
    for (const stored of this.#examples.values()) {
      const example = decode(stored.document);
      if (!exampleScopeMatches(parsed.match, parsed.scope, example.scope) || !exampleServed(parsed, example)) continue;
      found.push({ example, score: cosineSimilarity(vector, stored.vector) });
    }
    found.sort((a, b) => b.score - a.score || a.example.id.localeCompare(b.example.id));
    return found.slice(0, parsed.k);
  }

  async list(request: ExampleList): Promise<Example[]> {
    const parsed = parseWith(ExampleListSchema, request, "example list");
    return [...this.#examples.values()]
      .map((stored) => decode(stored.document))
      .filter((example) => exampleScopeMatches(parsed.match, parsed.scope, example.scope) && (parsed.includeStale || example.staleSince === undefined))
      .sort(oldestFirst);
  }

  async markStale(request: MarkStaleRequest): Promise<string[]> {
    const parsed = parseWith(MarkStaleRequestSchema, request, "mark-stale request");
    const marked: string[] = [];
    for (const [id, stored] of this.#examples) {
      const example = decode(stored.document);
      if (!staleRequestSelects(parsed, example)) continue;
      this.#examples.set(id, { ...stored, document: encodeRecord(markedStale(example, parsed)) });
      marked.push(id);
    }
    return marked.sort();
  }

  async delete(ids: readonly string[]): Promise<void> {
    for (const id of parseWith(IdSchema.array(), ids, "example ids")) this.#examples.delete(id);
  }

  async count(): Promise<number> {
    return this.#examples.size;
  }
}

function decode(document: string): Example {
  return decodeRecord(ExampleSchema, document, "example read from memory");
}
