import { LessonloopError, ScopeSchema, type Embedder, type Scope } from "@lessonloop/core";
import {
  ExampleListSchema,
  ExampleSchema,
  ExampleSearchSchema,
  IdSchema,
  MarkStaleRequestSchema,
  decodeRecord,
  embedExamples,
  encodeRecord,
  exampleScopeMatches,
  exampleServed,
  markedStale,
  oldestFirst,
  parseWith,
  scopeContains,
  staleRequestSelects,
  type Example,
  type ExampleInput,
  type ExampleList,
  type ExampleScopeMatch,
  type ExampleSearch,
  type ExampleStore,
  type MarkStaleRequest,
  type ScoredExample,
} from "@lessonloop/core/internal";
import type { ChromaClient, Collection, Metadata, Where } from "chromadb";
import { z } from "zod";
import { callChroma } from "./chroma-errors.js";
import { openEmbeddedCollection } from "./embedded-collection.js";
import { ANY, scopeAppliesWhere, scopeMetadata, scopeWithinClauses, storedScopeName } from "./chroma-where.js";

/** Chroma takes at most 5461 records per write (`getMaxBatchSize()`); stay below it. */
const MAX_WRITE_BATCH = 5_000;
/** Marks a collection as holding lessonloop examples. */
const CONTENTS = "lessonloop-examples";
/** `staleSince` of an example that is not stale: a filter `staleSince > v` then keeps it at every version. */
const NOT_STALE = Number.MAX_SAFE_INTEGER;

const CollectionNameSchema = z
  .string()
  .min(3, "must be at least 3 characters")
  .max(512, "must be at most 512 characters")
  .regex(/^[a-zA-Z0-9][a-zA-Z0-9._-]*[a-zA-Z0-9]$/, "may hold only letters, digits and . _ - and must start and end with a letter or digit");

export interface ChromaExampleStoreParams {
  /** A Chroma client to use (carries headers, tenant, database). Either this or `url`. */
  client?: ChromaClient;
  /** A Chroma server's URL, e.g. `startChroma().url` or `CHROMA_URL`. Named in error messages. */
  url?: string;
  /** Collection to use; created when missing. Default `lessonloop-examples`. */
  collection?: string;
  /** Embeds example tasks and queries. Reopen a collection with the embedder it was created with. */
  embedder: Embedder;
}

/** Flat scalar metadata: scope as three fields (`*` for unset), the recording version, the version it went stale at. */
function exampleMetadata(example: Example): Metadata {
  return { ...scopeMetadata(example.scope), recordedAt: example.recordedAt, staleSince: example.staleSince ?? NOT_STALE };
}

/** Chroma's `$and` needs two or more clauses and an object one key. */
function allOf(clauses: readonly Where[]): Where | undefined {
  if (clauses.length === 0) return undefined;
  if (clauses.length === 1) return clauses[0];
  return { $and: [...clauses] };
}

function scopeClauses(match: ExampleScopeMatch, scope: Scope): Where[] {
  switch (match) {
    case "applies":
      return [scopeAppliesWhere(scope)];
    case "within":
      return scopeWithinClauses(scope);
    case "exact":
      return [
        { tenant: { $eq: storedScopeName(scope.tenant) } },
        { user: { $eq: scope.user === undefined ? ANY : storedScopeName(scope.user) } },
        { agent: { $eq: scope.agent === undefined ? ANY : storedScopeName(scope.agent) } },
      ];
  }
}

/** What a search reads: the scope, and the examples valid at its version (or not stale at all). */
function searchWhere(request: z.output<typeof ExampleSearchSchema>): Where {
  const clauses = scopeClauses(request.match, request.scope);
  if (request.version !== undefined) clauses.push({ recordedAt: { $lte: request.version } });
  if (!request.includeStale) clauses.push(request.version === undefined ? { staleSince: { $eq: NOT_STALE } } : { staleSince: { $gt: request.version } });
  return allOf(clauses) as Where;
}

/**
 * An `ExampleStore` on a real Chroma collection (cosine space). Each record
 * holds the whole example as JSON in its document (in the stored-record
 * envelope), its scope, recording version and stale version as flat metadata,
 * and the embedder's vector of its task. Scope and versions are enforced by a
 * Chroma `where` filter, and checked again on the parsed document: a record
 * whose document disagrees with its metadata is a `corrupt_store` error.
 */
export class ChromaExampleStore implements ExampleStore {
  /** The Chroma collection this store uses. */
  readonly collectionName: string;

  private constructor(
    private readonly collection: Collection,
    private readonly embedder: Embedder,
    private readonly url: string,
  ) {
    this.collectionName = collection.name;
  }

  /**
   * Opens (or creates) the collection. Refuses a collection built with another
   * embedder, in a space other than cosine, or holding something else.
   *
   * @throws LessonloopError `invalid_input` (bad params, mismatched collection), `store_unavailable` (server unreachable).
   */
  static async open({ client, url, collection = "lessonloop-examples", embedder }: ChromaExampleStoreParams): Promise<ChromaExampleStore> {
    const name = parseWith(CollectionNameSchema, collection, "example collection name");
    const { collection: opened, label } = await openEmbeddedCollection({ client, url, name, contents: CONTENTS, embedder, store: "ChromaExampleStore", what: "examples" });
    return new ChromaExampleStore(opened, embedder, label);
  }

  /** Validates every example first and writes nothing when one is invalid; then embeds and upserts them. */
  async add(examples: readonly ExampleInput[]): Promise<void> {
    const { examples: unique, vectors } = await embedExamples(examples, this.embedder);
    for (let start = 0; start < unique.length; start += MAX_WRITE_BATCH) {
      const batch = unique.slice(start, start + MAX_WRITE_BATCH);
      await this.call(`add ${batch.length} examples to ${this.collectionName}`, () =>
        this.collection.upsert({
          ids: batch.map((example) => example.id),
          embeddings: vectors.slice(start, start + batch.length),
          documents: batch.map((example) => encodeRecord(example)),
          metadatas: batch.map(exampleMetadata),
        }),
      );
    }
  }

  async get(id: string, options: { scope?: Scope } = {}): Promise<Example> {
    const wanted = parseWith(IdSchema, id, "example id");
    const scope = options.scope === undefined ? undefined : parseWith(ScopeSchema, options.scope, "example scope");
    const result = await this.call(`read example ${wanted}`, () => this.collection.get({ ids: [wanted], include: ["documents"] }));
    const example = result.ids.length === 0 ? undefined : this.parse(result.documents[0]);
    if (example === undefined || (scope !== undefined && !scopeContains(scope, example.scope))) {
      throw new LessonloopError("not_found", `No example with id "${wanted}" in collection ${this.collectionName}. Check the id, or the scope it was asked in.`, {
        details: { id: wanted, collection: this.collectionName },
      });
    }
    if (example.id !== wanted) {
      throw new LessonloopError("corrupt_store", `Record "${wanted}" in ${this.collectionName} holds example "${example.id}"; the collection was damaged.`);
    }
    return example;
  }

  async search(request: ExampleSearch): Promise<ScoredExample[]> {
    const parsed = parseWith(ExampleSearchSchema, request, "example search");
    const vector = await this.embedder.embedQuery(parsed.query);
    const result = await this.call(`search examples in ${this.collectionName}`, () =>
      this.collection.query({ queryEmbeddings: [vector], nResults: parsed.k, where: searchWhere(parsed), include: ["documents", "distances"] }),
    );
    const distances = result.distances[0] ?? [];
    const found = (result.documents[0] ?? []).map((document, index) => ({
      example: this.parse(document),
      // Cosine distance is 1 − similarity.
      score: 1 - (distances[index] ?? 1),
    }));
    for (const { example } of found) this.checkAgrees(example, exampleScopeMatches(parsed.match, parsed.scope, example.scope) && exampleServed(parsed, example));
    return found.sort((a, b) => b.score - a.score || a.example.id.localeCompare(b.example.id));
  }

  async list(request: ExampleList): Promise<Example[]> {
    const parsed = parseWith(ExampleListSchema, request, "example list");
    const clauses = scopeClauses(parsed.match, parsed.scope);
    if (!parsed.includeStale) clauses.push({ staleSince: { $eq: NOT_STALE } });
    const examples = await this.read(`list examples in ${this.collectionName}`, allOf(clauses));
    for (const example of examples) {
      this.checkAgrees(example, exampleScopeMatches(parsed.match, parsed.scope, example.scope) && (parsed.includeStale || example.staleSince === undefined));
    }
    return examples.sort(oldestFirst);
  }

  /**
   * Reads the candidates by metadata, checks each on its document, and writes
   * the selected ones back with their stored vectors (Chroma's client embeds a
   * changed document unless given its vector).
   */
  async markStale(request: MarkStaleRequest): Promise<string[]> {
    const parsed = parseWith(MarkStaleRequestSchema, request, "mark-stale request");
    if (parsed.ids !== undefined && parsed.ids.length === 0) return [];
    const clauses: Where[] = [{ staleSince: { $eq: NOT_STALE } }];
    if (parsed.within !== undefined) clauses.push(...scopeWithinClauses(parsed.within));
    if (parsed.recordedAfter !== undefined) clauses.push({ recordedAt: { $gt: parsed.recordedAfter } });
    const where = allOf(clauses);
    const result = await this.call(`find examples to mark stale in ${this.collectionName}`, () =>
      this.collection.get({ include: ["documents", "embeddings"], ...(where === undefined ? {} : { where }), ...(parsed.ids === undefined ? {} : { ids: parsed.ids }) }),
    );
    const selected = result.documents
      .map((document, index) => ({ example: this.parse(document), vector: result.embeddings[index] }))
      .filter(({ example }) => staleRequestSelects(parsed, example))
      .map(({ example, vector }) => {
        if (vector === undefined || vector === null) throw new LessonloopError("corrupt_store", `Example "${example.id}" in ${this.collectionName} has no vector; add it again.`);
        return { example: markedStale(example, parsed), vector: [...vector] };
      });
    for (let start = 0; start < selected.length; start += MAX_WRITE_BATCH) {
      const batch = selected.slice(start, start + MAX_WRITE_BATCH);
      await this.call(`mark ${batch.length} examples stale in ${this.collectionName}`, () =>
        this.collection.upsert({
          ids: batch.map(({ example }) => example.id),
          embeddings: batch.map(({ vector }) => vector),
          documents: batch.map(({ example }) => encodeRecord(example)),
          metadatas: batch.map(({ example }) => exampleMetadata(example)),
        }),
      );
    }
    return selected.map(({ example }) => example.id).sort();
  }

  async delete(ids: readonly string[]): Promise<void> {
    const parsed = parseWith(IdSchema.array(), ids, "example ids");
    if (parsed.length === 0) return;
    await this.call(`delete ${parsed.length} examples from ${this.collectionName}`, () => this.collection.delete({ ids: parsed }));
  }

  async count(): Promise<number> {
    return this.call(`count examples in ${this.collectionName}`, () => this.collection.count());
  }

  private async read(operation: string, where: Where | undefined): Promise<Example[]> {
    const result = await this.call(operation, () => this.collection.get({ include: ["documents"], ...(where === undefined ? {} : { where }) }));
    return result.documents.map((document) => this.parse(document));
  }

  /** The filter already decided this; a record whose document disagrees with its metadata is damaged. */
  private checkAgrees(example: Example, agrees: boolean): void {
    if (!agrees) {
      throw new LessonloopError("corrupt_store", `Example "${example.id}" in ${this.collectionName} has metadata that disagrees with its document; add it again.`, {
        details: { id: example.id },
      });
    }
  }

  private call<T>(operation: string, run: () => Promise<T>): Promise<T> {
    return callChroma({ url: this.url, operation }, run);
  }

  private parse(document: string | null | undefined): Example {
    return decodeRecord(ExampleSchema, document, `example read from ${this.collectionName}`);
  }
}
