import type { z } from "zod";
import { LessonloopError } from "./errors.js";

export interface ParseIssue {
  /** Dotted path of the field, e.g. `scope.tenant` or `evidence.0`. */
  path: string;
  message: string;
}

function describeIssues(error: z.ZodError): ParseIssue[] {
  return error.issues.map((issue) => ({
    path: issue.path.length === 0 ? "(root)" : issue.path.map(String).join("."),
    message: issue.message,
  }));
}

/**
 * Parses `value` with `schema`, or throws a `LessonloopError` with code
 * `invalid_input` whose message names every bad field and what is wrong with it.
 *
 * @param what What the value is, for the message: "lesson", "edge case from Chroma" …
 */
export function parseWith<S extends z.ZodType>(schema: S, value: unknown, what: string): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issues = describeIssues(result.error);
  const listed = issues.map((issue) => `${issue.path}: ${issue.message}`).join("; ");
  throw new LessonloopError("invalid_input", `Invalid ${what} — ${listed}`, {
    cause: result.error,
    details: { issues },
  });
}
