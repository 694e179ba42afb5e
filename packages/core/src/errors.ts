/**
 * Every failure lessonloop reports on purpose. The union is closed: code that
 * handles errors can switch over it exhaustively.
 */
export type LessonloopErrorCode =
  /** A value failed its schema: user input, a store read, model output, a CLI argument. */
  | "invalid_input"
  /** A lesson, edge case or episode id that does not exist. */
  | "not_found"
  /** A memory snapshot version that does not exist. */
  | "unknown_version"
  /** A rollback that cannot be made (to the live version or to the future). */
  | "invalid_rollback"
  /** An operation restricted to a scope names something outside it. */
  | "out_of_scope"
  /** A write lost a race with another writer or reuses an id. */
  | "conflict"
  /** A resource one process owns (an episode journal, a Chroma data folder) is held by another process. */
  | "locked"
  /** The backing store (Chroma, a saver) could not be reached. */
  | "store_unavailable"
  /** The backing store has no room left (a full disk): not worth retrying until space is freed. */
  | "storage_full"
  /** A stored record does not parse or contradicts the history around it. */
  | "corrupt_store"
  /** The embedded Chroma server could not be started. */
  | "server_start_failed"
  /** A model answered with something that does not fit the expected structure. */
  | "model_output_invalid"
  /** An operation ran out of its time budget. */
  | "timeout";

const MARKER = Symbol.for("lessonloop.error");

export interface LessonloopErrorOptions {
  /** The underlying error, kept for debugging. */
  cause?: unknown;
  /** Structured details, e.g. the field paths that failed to parse. */
  details?: Record<string, unknown>;
}

/**
 * The one error class of lessonloop. Recognise it with `LessonloopError.isInstance`,
 * not `instanceof`: two installed copies of a package each carry their own class.
 */
export class LessonloopError extends Error {
  readonly code: LessonloopErrorCode;
  readonly details: Record<string, unknown>;
  private readonly [MARKER] = true;

  constructor(code: LessonloopErrorCode, message: string, options: LessonloopErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "LessonloopError";
    this.code = code;
    this.details = options.details ?? {};
  }

  static isInstance(value: unknown, code?: LessonloopErrorCode): value is LessonloopError {
    if (typeof value !== "object" || value === null) return false;
    if ((value as Record<symbol, unknown>)[MARKER] !== true) return false;
    return code === undefined || (value as LessonloopError).code === code;
  }
}
