import { LessonloopError } from "@lessonloop/core";
import { redactUrlCredentials } from "@lessonloop/core/internal";

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

/** `error` as a cause that is safe to log: the same error when it names no credentials, else a copy with them redacted. */
function redactedCause(error: unknown): unknown {
  if (!(error instanceof Error)) return typeof error === "string" ? redactUrlCredentials(error) : error;
  const message = redactUrlCredentials(error.message);
  const stack = error.stack === undefined ? undefined : redactUrlCredentials(error.stack);
  if (message === error.message && stack === error.stack) return error;
  const copy = new Error(message);
  copy.name = error.name;
  if (stack !== undefined) copy.stack = stack;
  return copy;
}

// SQLite's SQLITE_FULL ("database or disk is full") and the OS's ENOSPC / EDQUOT, as Chroma reports them.
const STORAGE_FULL = /database or disk is full|no space left on device|ENOSPC|os error 28|disk quota exceeded|EDQUOT/i;

/**
 * Maps an error thrown by the `chromadb` client to a `LessonloopError` whose message
 * says what failed and what to do. Recognises chromadb's errors by name, so it works
 * across installed copies. A `LessonloopError` passes through unchanged. The
 * credentials of a URL (`http://user:secret@host`) never reach the message,
 * the details or the cause.
 *
 * - the server's disk is full → `storage_full` (not retried: it needs room)
 * - server unreachable, 5xx, auth, quota → `store_unavailable`
 * - missing collection or record → `not_found`
 * - request rejected as invalid (400/422) → `invalid_input`
 * - already exists → `conflict`
 * - aborted or timed out → `timeout`
 */
export function mapChromaError(error: unknown, context: ChromaErrorContext): LessonloopError {
  if (LessonloopError.isInstance(error)) return error;
  const url = redactUrlCredentials(context.url);
  const operation = redactUrlCredentials(context.operation);
  const name = errorName(error);
  const message = redactUrlCredentials(errorMessage(error));
  const details = { url, operation, chromaError: name || undefined };
  const options = { cause: redactedCause(error), details };
  if (STORAGE_FULL.test(message)) {
    return new LessonloopError(
      "storage_full",
      `The Chroma server at ${url} could not ${operation}: its disk is full (${message}). Free space on the disk holding its data folder (or give it a larger one); nothing is retried until then.`,
      options,
    );
  }
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
