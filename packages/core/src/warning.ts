import { LessonloopError, type LessonloopErrorCode } from "./errors.js";

/** What a warning says about the error behind it. */
export interface WarningCause {
  /** The error's code (`store_unavailable` for foreign errors: most are an unreachable store or service). */
  code: LessonloopErrorCode;
  /** The error's message. */
  message: string;
  /** The error as thrown. */
  cause: unknown;
}

/** The code, message and error of a warning about `error`. */
export function warningCause(error: unknown): WarningCause {
  const code: LessonloopErrorCode = LessonloopError.isInstance(error) ? error.code : "store_unavailable";
  const message = error instanceof Error ? error.message : String(error);
  return { code, message, cause: error };
}

/** The parts of a warning's console line. */
export interface WarningLine {
  /** Who warns, e.g. `"replay-retriever degraded"`. */
  source: string;
  /** What went wrong, and on what, e.g. `"memory: store_unavailable"`. */
  detail: string;
  /** What was done instead, when the warning says so, e.g. `"served no lessons"`. */
  effect?: string;
  /** The cause's message. */
  message: string;
}

/** `[lessonloop] <source> (<detail>) — <effect>: <message>`: every lessonloop warning reads the same. */
export function formatWarning({ source, detail, effect, message }: WarningLine): string {
  return `[lessonloop] ${source} (${detail})${effect === undefined ? "" : ` — ${effect}`}: ${message}`;
}

/** Prints a warning as one console line, followed by the error as thrown when there is one (its stack). */
export function printWarning(line: WarningLine, cause?: unknown): void {
  if (cause === undefined) console.warn(formatWarning(line));
  else console.warn(formatWarning(line), cause);
}
