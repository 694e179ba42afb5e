import { EpisodeSchema, LessonloopError, ScopeSchema, type Embedder, type EpisodeInput, type Scope } from "@lessonloop/core";
import { condenseTrajectory, cosineSimilarity, parseWith, scopeApplies, type CondenseTrajectoryOptions } from "@lessonloop/core/internal";
import { z } from "zod";

/** A successful past run of a similar task, condensed for the agent's context. */
export interface ExperienceExample {
  /** Id of the episode it comes from. */
  id: string;
  /** The task as it was given. */
  input: string;
  /** The run, one short line per step: tool calls, their results (marked as untrusted data), answers. */
  steps: string[];
  /** Similarity of its task to the current input, 0..1. */
  score: number;
}

/** What the retriever asks an {@link ExampleSource} for. */
export interface ExampleQuery {
  /** The current input. */
  query: string;
  /** The scope of the run: only examples that apply to it may be returned. */
  scope: Scope;
  /** At most this many, most similar first. */
  k: number;
  /**
   * The memory version the run is pinned to: only examples valid at it
   * (recorded at or before it, not stale as of it). Absent at the head: those
   * not stale. A source without versions may ignore it.
   */
  version?: number;
}

/**
 * Where experience replay finds successful past runs of tasks like the current
 * one. Implement it over your own episode store; {@link InMemoryExampleSource}
 * keeps them in this process.
 */
export interface ExampleSource {
  /** Successful runs whose scope applies to `scope`, most similar to `query` first. */
  findExamples(request: ExampleQuery): Promise<ExperienceExample[]>;
}

const ExampleQuerySchema = z
  .object({
    query: z.string().trim().min(1, "must not be empty"),
    scope: ScopeSchema,
    k: z.number().int().min(1).max(50),
    version: z.number().int().min(0).optional(),
  })
  .strict();

export interface InMemoryExampleSourceParams {
  /** Embeds each episode's input once, and each query. */
  embedder: Embedder;
  /** How runs are condensed into steps. */
  condense?: CondenseTrajectoryOptions;
}

interface StoredExample {
  example: Omit<ExperienceExample, "score">;
  scope: Scope;
  vector: number[];
}

/**
 * An {@link ExampleSource} held in this process's memory: successful episodes,
 * matched to the current input by the embedding of their inputs. Episodes are
 * only shown to runs their scope applies to (an episode of user A never
 * reaches user B).
 */
export class InMemoryExampleSource implements ExampleSource {
  readonly #embedder: Embedder;
  readonly #condense: CondenseTrajectoryOptions;
  readonly #byId = new Map<string, StoredExample>();

  constructor({ embedder, condense = {} }: InMemoryExampleSourceParams) {
    this.#embedder = embedder;
    this.#condense = condense;
  }

  /** How many examples it holds. */
  get size(): number {
    return this.#byId.size;
  }

  /**
   * Adds the successful episodes among `episodes` (others are skipped: only
   * runs that worked are replayed). An episode added again replaces itself.
   * Returns how many were added.
   */
  async add(episodes: readonly EpisodeInput[]): Promise<number> {
    const parsed = episodes.map((episode, index) => parseWith(EpisodeSchema, episode, `episode ${index}`));
    const successes = parsed.filter((episode) => episode.outcome.status === "success" && episode.input.trim() !== "");
    if (successes.length === 0) return 0;
    const vectors = await this.#embedder.embedDocuments(successes.map((episode) => episode.input));
    successes.forEach((episode, index) => {
      const vector = vectors[index];
      if (vector === undefined) {
        throw new LessonloopError("invalid_input", `Embedder "${this.#embedder.name}" returned ${vectors.length} vectors for ${successes.length} episodes.`);
      }
      this.#byId.set(episode.id, {
        example: { id: episode.id, input: episode.input, steps: condenseTrajectory(episode.trajectory, this.#condense) },
        scope: episode.scope,
        vector,
      });
    });
    return successes.length;
  }

  async findExamples(request: ExampleQuery): Promise<ExperienceExample[]> {
    const { query, scope, k } = parseWith(ExampleQuerySchema, request, "example query");
    const vector = await this.#embedder.embedQuery(query);
    const scored: ExperienceExample[] = [];
    for (const stored of this.#byId.values()) {
      if (!scopeApplies(stored.scope, scope)) continue;
      scored.push({ ...stored.example, steps: [...stored.example.steps], score: cosineSimilarity(vector, stored.vector) });
    }
    scored.sort((a, b) => b.score - a.score || a.id.localeCompare(b.id));
    return scored.slice(0, k);
  }
}
