import type { EmbeddingsInterface } from "@langchain/core/embeddings";
import { LessonloopError, type Embedder } from "@lessonloop/core";

export interface FromLangChainEmbeddingsParams {
  /** Any LangChain embeddings: `OpenAIEmbeddings`, `OllamaEmbeddings`, a fake in tests … */
  embeddings: EmbeddingsInterface;
  /**
   * Names the embedding space, e.g. `openai:text-embedding-3-small`. Stores refuse to
   * mix vectors of different names, so change it whenever the model changes.
   */
  name: string;
  /**
   * Length of the vectors the model returns. When omitted it is learned from the first
   * answer, and reading `dimensions` before any embedding throws.
   */
  dimensions?: number;
}

function invalidOutput(name: string, problem: string, details: Record<string, unknown>): LessonloopError {
  return new LessonloopError(
    "model_output_invalid",
    `Embeddings "${name}" returned ${problem}. Check the embedding model and its configuration (model name, dimensions).`,
    { details },
  );
}

/**
 * Turns any LangChain `Embeddings` into a lessonloop `Embedder`, checking every answer:
 * one vector per text, each of the same length, all finite numbers. A bad answer is a
 * `model_output_invalid` error, never a vector that poisons a store.
 */
export function fromLangChainEmbeddings({ embeddings, name, dimensions }: FromLangChainEmbeddingsParams): Embedder {
  if (typeof name !== "string" || name.trim().length === 0) {
    throw new LessonloopError("invalid_input", `Invalid embedder name: must be a non-empty string naming the model, e.g. "openai:text-embedding-3-small".`, {
      details: { issues: [{ path: "name", message: "must not be empty" }] },
    });
  }
  if (dimensions !== undefined && !(Number.isInteger(dimensions) && dimensions > 0)) {
    throw new LessonloopError("invalid_input", `Invalid embedder dimensions: ${String(dimensions)} — must be a whole number above 0.`, {
      details: { issues: [{ path: "dimensions", message: "must be a whole number above 0" }] },
    });
  }
  let known = dimensions;

  function check(vector: unknown, index: number): number[] {
    if (!Array.isArray(vector) && !ArrayBuffer.isView(vector)) {
      throw invalidOutput(name, `a ${vector === null ? "null" : typeof vector} instead of a vector at position ${index}`, { index });
    }
    const values = Array.from(vector as ArrayLike<unknown>);
    if (known === undefined) {
      if (values.length === 0) throw invalidOutput(name, `an empty vector at position ${index}`, { index });
      known = values.length;
    }
    if (values.length !== known) {
      throw invalidOutput(name, `a vector of ${values.length} numbers at position ${index}, expected ${known}`, {
        index,
        length: values.length,
        expected: known,
      });
    }
    for (let i = 0; i < values.length; i++) {
      const value = values[i];
      if (typeof value !== "number" || !Number.isFinite(value)) {
        throw invalidOutput(name, `${String(value)} at position ${i} of vector ${index}; every value must be a finite number`, { index, position: i });
      }
    }
    return values as number[];
  }

  return {
    name,
    get dimensions(): number {
      if (known === undefined) {
        throw new LessonloopError(
          "invalid_input",
          `The dimensions of embedder "${name}" are not known yet: pass "dimensions" to fromLangChainEmbeddings, or embed something first.`,
        );
      }
      return known;
    },
    async embedDocuments(texts: readonly string[]): Promise<number[][]> {
      if (texts.length === 0) return [];
      const vectors: unknown = await embeddings.embedDocuments([...texts]);
      if (!Array.isArray(vectors)) throw invalidOutput(name, `${typeof vectors} instead of a list of vectors`, {});
      if (vectors.length !== texts.length) {
        throw invalidOutput(name, `${vectors.length} vectors for ${texts.length} texts`, { count: vectors.length, expected: texts.length });
      }
      return vectors.map((vector: unknown, index) => check(vector, index));
    },
    async embedQuery(text: string): Promise<number[]> {
      const vector: unknown = await embeddings.embedQuery(text);
      return check(vector, 0);
    },
  };
}
