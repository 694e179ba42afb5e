import type { z } from "zod";
import { cosineSimilarity, type Embedder } from "./embedder.js";
import { EdgeCaseQuerySchema, embedEdgeCases, type EdgeCaseQuery, type EdgeCaseStore, type ScoredEdgeCase } from "./edge-case-store.js";
import { EdgeCaseSchema, type EdgeCase } from "./edge-case.js";
import { LessonloopError } from "./errors.js";
import { IdSchema } from "./ids.js";
import { parseWith } from "./parse.js";
import { ScopeSchema, scopeContains, type Scope } from "./scope.js";
import { decodeRecord, encodeRecord } from "./stored-record.js";

export interface InMemoryEdgeCaseStoreParams {
  /** Embeds case inputs and queries; any `Embedder` (the offline lexical one works). */
  embedder: Embedder;
}

interface StoredCase {
  document: string;
  vector: number[];
}

/**
 * An `EdgeCaseStore` held in this process: for tests, and for users without
 * Chroma. Same rules as the Chroma one — a case is embedded by its input, a
 * query sees only the cases within its scope carrying every tag asked for,
 * scored by cosine similarity — and records are kept encoded and parsed on
 * every read, as a persistent store keeps them. Search is a linear scan.
 */
export class InMemoryEdgeCaseStore implements EdgeCaseStore {
  readonly #embedder: Embedder;
  readonly #cases = new Map<string, StoredCase>();

  constructor({ embedder }: InMemoryEdgeCaseStoreParams) {
    this.#embedder = embedder;
  }

  /** Validates every case first and stores nothing when one is invalid; a stored id is replaced, and within one call the last case with an id wins. */
  async add(cases: readonly z.input<typeof EdgeCaseSchema>[]): Promise<void> {
    const { cases: unique, vectors } = await embedEdgeCases(cases, this.#embedder);
    unique.forEach((edgeCase, index) => {
      this.#cases.set(edgeCase.id, { document: encodeRecord(edgeCase), vector: [...(vectors[index] as number[])] });
    });
  }

  /** The case with this id; `not_found` when there is none, or (with `scope`) when it lies outside the scope. */
  async get(id: string, options: { scope?: Scope } = {}): Promise<EdgeCase> {
    const wanted = parseWith(IdSchema, id, "edge case id");
    const scope = options.scope === undefined ? undefined : parseWith(ScopeSchema, options.scope, "edge case scope");
    const stored = this.#cases.get(wanted);
    const edgeCase = stored === undefined ? undefined : decode(stored.document);
    if (edgeCase === undefined || (scope !== undefined && !scopeContains(scope, edgeCase.scope))) {
      throw new LessonloopError("not_found", `No edge case with id "${wanted}" in this in-memory store. Add it first, or check the id.`, {
        details: { id: wanted },
      });
    }
    return edgeCase;
  }

  /** The `k` cases most similar to the query among those within its scope carrying every tag asked for, best first; `score` is the cosine similarity. */
  async findRelevant(query: EdgeCaseQuery): Promise<ScoredEdgeCase[]> {
    const parsed = parseWith(EdgeCaseQuerySchema, query, "edge case query");
    const vector = await this.#embedder.embedQuery(parsed.query);
    const tags = parsed.tags ?? [];
    const found: ScoredEdgeCase[] = [];
    for (const stored of this.#cases.values()) {
      const edgeCase = decode(stored.document);
      if (!scopeContains(parsed.scope, edgeCase.scope) || !tags.every((tag) => edgeCase.tags.includes(tag))) continue;
      found.push({ edgeCase, score: cosineSimilarity(vector, stored.vector) });
    }
    found.sort((a, b) => b.score - a.score || a.edgeCase.id.localeCompare(b.edgeCase.id));
    return found.slice(0, parsed.k);
  }

  async count(): Promise<number> {
    return this.#cases.size;
  }
}

function decode(document: string): EdgeCase {
  return decodeRecord(EdgeCaseSchema, document, "edge case read from memory");
}
