import { z } from "zod";
import type { Embedder } from "./embedder.js";
import { LessonloopError } from "./errors.js";
import { ExampleSchema, ExampleStaleReasonSchema, exampleValidAt, type Example, type ExampleInput } from "./example.js";
import { IdSchema, VersionSchema } from "./ids.js";
import { MAX_QUERY_LENGTH } from "./lesson-memory.js";
import { parseWith } from "./parse.js";
import { ScopeSchema, scopeApplies, scopeContains, type Scope } from "./scope.js";

/** Most examples one write or one id list may name. */
export const MAX_EXAMPLES_PER_WRITE = 5_000;

/**
 * Which examples a scope selects. `applies`: those whose scope applies to a run
 * in it, as lessons are served (a tenant-wide example reaches every user of the
 * tenant, a user's reaches only that user). `exact`: those scoped exactly so
 * (how one scope's examples are deduplicated and bounded). `within`: those
 * inside it (its tenant, and its user/agent where it names one), as scoped
 * undo selects lessons.
 */
export const ExampleScopeMatchSchema = z.enum(["applies", "exact", "within"]);
export type ExampleScopeMatch = z.infer<typeof ExampleScopeMatchSchema>;

export const ExampleSearchSchema = z
  .object({
    /** The current task. */
    query: z.string().trim().min(1, "must not be empty").max(MAX_QUERY_LENGTH, `must be at most ${MAX_QUERY_LENGTH} characters`),
    scope: ScopeSchema,
    match: ExampleScopeMatchSchema.default("applies"),
    k: z.number().int().min(1).max(100).default(5),
    /** Only examples valid at this memory version (recorded at or before it, not stale as of it). Without it, those not stale at all. */
    version: VersionSchema.optional(),
    /** Stale examples too (for audit and for deduplication); `version` still bounds when they were recorded. */
    includeStale: z.boolean().default(false),
  })
  .strict();
export type ExampleSearch = z.input<typeof ExampleSearchSchema>;

export const ExampleListSchema = z
  .object({
    scope: ScopeSchema,
    match: ExampleScopeMatchSchema.default("exact"),
    includeStale: z.boolean().default(false),
  })
  .strict();
export type ExampleList = z.input<typeof ExampleListSchema>;

/**
 * Which examples to mark stale: every not-yet-stale example matching all the
 * selectors given (`ids`, `within`, `recordedAfter`; `ids` or `recordedAfter`
 * must be given). An example already stale keeps its first reason.
 */
export const MarkStaleRequestSchema = z
  .object({
    ids: z.array(IdSchema).max(MAX_EXAMPLES_PER_WRITE).optional(),
    /** Only examples within this scope; without it, every scope (a global rollback). */
    within: ScopeSchema.optional(),
    /** Only examples recorded after this memory version (a rollback to it). */
    recordedAfter: VersionSchema.optional(),
    /** The memory version from which they are stale: reads pinned to an earlier one still see them. */
    since: VersionSchema,
    reason: ExampleStaleReasonSchema,
    /** What made them stale: the failed episode's id, the lesson's id, the rollback's version. */
    by: z.string().min(1).max(200).optional(),
  })
  .strict()
  .refine((request) => request.ids !== undefined || request.recordedAfter !== undefined, {
    message: "name the examples (ids) or the version they were recorded after (recordedAfter)",
    path: ["ids"],
  });
export type MarkStaleRequest = z.input<typeof MarkStaleRequestSchema>;

export interface ScoredExample {
  example: Example;
  /** Cosine similarity between the query and the example's task. */
  score: number;
}

/**
 * Successful past runs kept as examples, found by the similarity of their task
 * to the current one, scoped exactly like lessons, and versioned: a read at a
 * memory version sees the examples valid at it. Nothing is ever served from
 * another tenant, nor from another user.
 */
export interface ExampleStore {
  /** Adds examples; one with an id already stored replaces it. All-or-nothing validation. */
  add(examples: readonly ExampleInput[]): Promise<void>;
  /** The example with this id; `not_found` otherwise, and (with `scope`) when it lies outside the scope. */
  get(id: string, options?: { scope?: Scope }): Promise<Example>;
  /** The `k` examples of the scope most similar to the query, best first. */
  search(request: ExampleSearch): Promise<ScoredExample[]>;
  /** Every example of the scope, oldest first (bounded per scope, so small). */
  list(request: ExampleList): Promise<Example[]>;
  /** Marks the selected examples stale; returns the ids it marked. */
  markStale(request: MarkStaleRequest): Promise<string[]>;
  /** Removes examples (eviction); ids not stored are ignored. */
  delete(ids: readonly string[]): Promise<void>;
  count(): Promise<number>;
}

/** Whether an example's scope is selected by `scope` under `match`. */
export function exampleScopeMatches(match: ExampleScopeMatch, scope: Scope, exampleScope: Scope): boolean {
  switch (match) {
    case "applies":
      return scopeApplies(exampleScope, scope);
    case "within":
      return scopeContains(scope, exampleScope);
    case "exact":
      return exampleScope.tenant === scope.tenant && exampleScope.user === scope.user && exampleScope.agent === scope.agent;
  }
}

/** Whether a search serves `example` (scope aside): valid at its version, or not stale when it names none. */
export function exampleServed(request: z.output<typeof ExampleSearchSchema>, example: Example): boolean {
  if (request.version !== undefined && example.recordedAt > request.version) return false;
  if (request.includeStale) return true;
  return request.version === undefined ? example.staleSince === undefined : exampleValidAt(example, request.version);
}

/** Whether a stale-marking request selects `example` (not yet stale, every selector given matches). */
export function staleRequestSelects(request: z.output<typeof MarkStaleRequestSchema>, example: Example): boolean {
  if (example.staleSince !== undefined) return false;
  if (request.ids !== undefined && !request.ids.includes(example.id)) return false;
  if (request.within !== undefined && !scopeContains(request.within, example.scope)) return false;
  if (request.recordedAfter !== undefined && example.recordedAt <= request.recordedAfter) return false;
  return true;
}

/** `example` marked stale as `request` says. */
export function markedStale(example: Example, request: z.output<typeof MarkStaleRequestSchema>): Example {
  return { ...example, staleSince: request.since, staleReason: request.reason, ...(request.by === undefined ? {} : { staleBy: request.by }) };
}

/**
 * What every store's `add` does before it writes: validates every example
 * (throws, so nothing is written, when one is invalid), keeps the last with
 * each id, and embeds their tasks, one vector an example.
 */
export async function embedExamples(examples: readonly ExampleInput[], embedder: Embedder): Promise<{ examples: Example[]; vectors: number[][] }> {
  const parsed = parseWith(ExampleSchema.array().max(MAX_EXAMPLES_PER_WRITE), examples, "examples");
  if (parsed.length === 0) return { examples: [], vectors: [] };
  const byId = new Map<string, Example>();
  for (const example of parsed) {
    byId.delete(example.id);
    byId.set(example.id, example);
  }
  const unique = [...byId.values()];
  const vectors = await embedder.embedDocuments(unique.map((example) => example.input));
  if (vectors.length !== unique.length) {
    throw new LessonloopError(
      "model_output_invalid",
      `Embedder "${embedder.name}" returned ${vectors.length} vectors for ${unique.length} examples; nothing was written.`,
    );
  }
  return { examples: unique, vectors };
}

/** Oldest first, by creation time then id: the order `list` returns. */
export function oldestFirst(a: Example, b: Example): number {
  return Date.parse(a.createdAt) - Date.parse(b.createdAt) || a.id.localeCompare(b.id);
}
