import { z } from "zod";
import { EdgeCaseSchema, type EdgeCase } from "./edge-case.js";
import type { Embedder } from "./embedder.js";
import { LessonloopError } from "./errors.js";
import { MAX_QUERY_LENGTH } from "./lesson-memory.js";
import { parseWith } from "./parse.js";
import { ScopeSchema, type Scope } from "./scope.js";

export const EdgeCaseQuerySchema = z
  .object({
    /** A lesson's trigger and guidance, or a task input. */
    query: z.string().trim().min(1, "must not be empty").max(MAX_QUERY_LENGTH, `must be at most ${MAX_QUERY_LENGTH} characters`),
    /** Only cases within this scope: a lesson can affect only the cases inside its own scope. */
    scope: ScopeSchema,
    k: z.number().int().min(1).max(500).default(10),
    /** Only cases carrying every one of these tags. */
    tags: z.array(z.string().min(1)).optional(),
  })
  .strict();
export type EdgeCaseQuery = z.input<typeof EdgeCaseQuerySchema>;

export const EdgeCaseBatchSchema = z.array(EdgeCaseSchema).max(5_000);

/**
 * What every store's `add` does before it writes: validates every case (throws,
 * so nothing is written, when one is invalid), keeps the last case with each
 * id, and embeds their inputs, one vector a case. Empty when there is nothing
 * to write.
 */
export async function embedEdgeCases(
  cases: readonly z.input<typeof EdgeCaseSchema>[],
  embedder: Embedder,
): Promise<{ cases: EdgeCase[]; vectors: number[][] }> {
  const parsed = parseWith(EdgeCaseSchema.array(), cases, "edge cases");
  if (parsed.length === 0) return { cases: [], vectors: [] };
  const byId = new Map<string, EdgeCase>();
  for (const edgeCase of parsed) {
    byId.delete(edgeCase.id);
    byId.set(edgeCase.id, edgeCase);
  }
  const unique = [...byId.values()];
  const vectors = await embedder.embedDocuments(unique.map((edgeCase) => edgeCase.input));
  if (vectors.length !== unique.length) {
    throw new LessonloopError(
      "model_output_invalid",
      `Embedder "${embedder.name}" returned ${vectors.length} vectors for ${unique.length} edge cases; nothing was written.`,
    );
  }
  return { cases: unique, vectors };
}

export interface ScoredEdgeCase {
  edgeCase: EdgeCase;
  score: number;
}

/** Historical cases that future behaviour must keep right, found by relevance. */
export interface EdgeCaseStore {
  /** Adds cases; a case with an id already stored replaces it. All-or-nothing validation. */
  add(cases: readonly z.input<typeof EdgeCaseSchema>[]): Promise<void>;
  /**
   * The case with this id; `not_found` otherwise. With `scope`, a case outside
   * it is `not_found` too (the same error: a tenant cannot probe for another's ids).
   */
  get(id: string, options?: { scope?: Scope }): Promise<EdgeCase>;
  /** The cases most relevant to the query, within the scope. */
  findRelevant(query: EdgeCaseQuery): Promise<ScoredEdgeCase[]>;
  count(): Promise<number>;
}
