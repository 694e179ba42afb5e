import { LessonloopError } from "@lessonloop/core";

/** What was being done when Chroma failed, for the error message. */
export interface ChromaErrorContext {
  /** The server's URL (or a description such as "a given ChromaClient"). */
  url: string;
  /** What was being done, e.g. "add edge cases", "open collection lessonloop-edge-cases". */
  operation: string;
}

function errorName(error: unknown): string {
  if (typeof error !== "object" || error === null) return "";
  const name = (error as { name?: unknown }).name;
  return typeof name === "string" ? name : "";
}

function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}

/**
 * Maps an error thrown by the `chromadb` client to a `LessonloopError` whose message
 * says what failed and what to do. Recognises chromadb's errors by name, so it works
 * across installed copies. A `LessonloopError` passes through unchanged.
 *
 * - server unreachable, 5xx, auth, quota → `store_unavailable`
 * - missing collection or record → `not_found`
 * - request rejected as invalid (400/422) → `invalid_input`
 * - already exists → `conflict`
 * - aborted or timed out → `timeout`
 */
export function mapChromaError(error: unknown, { url, operation }: ChromaErrorContext): LessonloopError {
  if (LessonloopError.isInstance(error)) return error;
  const name = errorName(error);
  const message = errorMessage(error);
  const details = { url, operation, chromaError: name || undefined };
  const options = { cause: error, details };
  switch (name) {
    case "ChromaConnectionError":
      return new LessonloopError(
        "store_unavailable",
        `Could not reach the Chroma server at ${url} to ${operation}. Start it (startChroma() in code, or \`npx chroma run --path ./chroma-data\`), or point CHROMA_URL at a running server.`,
        options,
      );
    case "ChromaServerError":
      return new LessonloopError(
        "store_unavailable",
        `The Chroma server at ${url} failed to ${operation}: ${message}. Check the server's log; retry when it is healthy.`,
        options,
      );
    case "ChromaAuthError":
    case "ChromaUnauthorizedError":
    case "ChromaForbiddenError":
      return new LessonloopError(
        "store_unavailable",
        `The Chroma server at ${url} refused to ${operation} (${message}). Pass a ChromaClient configured with the right credentials, tenant and database.`,
        options,
      );
    case "ChromaQuotaExceededError":
    case "ChromaRateLimitError":
      return new LessonloopError(
        "store_unavailable",
        `The Chroma server at ${url} would not ${operation} now: ${message}. Retry later or raise the limit.`,
        options,
      );
    case "ChromaNotFoundError":
      return new LessonloopError(
        "not_found",
        `Chroma at ${url} could not find what it needed to ${operation} (${message}); the collection may have been deleted. Reopen the store to recreate it.`,
        options,
      );
    case "ChromaUniqueError":
      return new LessonloopError("conflict", `Chroma at ${url} could not ${operation}: it already exists (${message}).`, options);
    case "ChromaClientError":
    case "ChromaValueError":
    case "InvalidArgumentError":
    case "InvalidCollectionError":
      return new LessonloopError("invalid_input", `Chroma at ${url} rejected the request to ${operation}: ${message}`, options);
    case "AbortError":
    case "TimeoutError":
      return new LessonloopError("timeout", `Chroma at ${url} did not ${operation} in time (${message}).`, options);
    default:
      return new LessonloopError(
        "store_unavailable",
        `Chroma at ${url} failed to ${operation}: ${message || "unknown error"}. Check that the server is running and the same version as the client.`,
        options,
      );
  }
}

/** Runs one Chroma call and maps whatever it throws with `mapChromaError`. */
export async function callChroma<T>(context: ChromaErrorContext, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    throw mapChromaError(error, context);
  }
}
