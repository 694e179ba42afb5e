import { LessonloopError } from "@lessonloop/core";
import { directiveKey, directiveSlot, type Directive } from "../sim/lesson-language.js";
import { parseParaphrased } from "../sim/paraphrase.js";
import type { DriftPoint, LessonGrade, ToolResult, ToolSpec } from "./environment.js";

/** Euros with two decimals, as the worlds write amounts: `12.50`. */
export function eur(amount: number): string {
  return amount.toFixed(2);
}

/** Rounds to cents (or another number of decimals), away from binary noise. */
export function round(value: number, decimals = 2): number {
  const factor = 10 ** decimals;
  return Math.round((value + Number.EPSILON) * factor) / factor;
}

export const ok = (body: unknown): ToolResult => ({ content: typeof body === "string" ? body : JSON.stringify(body), isError: false });
export const fail = (content: string): ToolResult => ({ content, isError: true });

/** A parameter's type as an API validates it. */
export type ParamType = "string" | "number" | "boolean" | "string[]";

/** How one endpoint validates its arguments at some point of the stream. */
export interface EndpointShape {
  params: Record<string, ParamType>;
  required: readonly string[];
  /** A field that was renamed: the old name → the new one, and a hint the error adds. */
  renamed?: Record<string, { to: string; hint?: string }>;
  /** Reject bad input with only `400 Bad Request: invalid request body` (an API that says little). */
  vague?: boolean;
}

function typeOf(value: unknown): ParamType | "other" {
  if (typeof value === "string") return "string";
  if (typeof value === "number" && Number.isFinite(value)) return "number";
  if (typeof value === "boolean") return "boolean";
  if (Array.isArray(value) && value.every((item) => typeof item === "string")) return "string[]";
  return "other";
}

/**
 * Validates a call's arguments as a strict API does: unknown fields (with a
 * "did you mean" for renamed ones), missing required parameters and wrong
 * types are errors, worded as real APIs word them.
 *
 * @returns the error to answer with, or `undefined` when the arguments are fine.
 */
export function validateArgs(args: Record<string, unknown>, shape: EndpointShape): ToolResult | undefined {
  const vague = fail("400 Bad Request: invalid request body");
  for (const [field, value] of Object.entries(args)) {
    const expected = shape.params[field];
    if (expected === undefined) {
      if (shape.vague === true) return vague;
      const renamed = shape.renamed?.[field];
      const suggestion = renamed === undefined ? "" : ` — did you mean "${renamed.to}"${renamed.hint === undefined ? "" : ` (${renamed.hint})`}?`;
      return fail(`422 Unprocessable Entity: unknown field "${field}"${suggestion}`);
    }
    if (typeOf(value) !== expected) {
      if (shape.vague === true) return vague;
      return fail(`422 Unprocessable Entity: "${field}" must be of type ${expected}`);
    }
  }
  for (const field of shape.required) {
    if (args[field] === undefined) return shape.vague === true ? vague : fail(`400 Bad Request: missing required parameter "${field}"`);
  }
  return undefined;
}

/**
 * Grades a lesson against the directives that are true for its scope: it is
 * `correct` only when it states at least one directive and every directive
 * (an all-tools directive counts for each tool it would touch) is true. The
 * directives are read exactly, in every wording the simulated learner uses
 * and in the canonical one — never by the agent's lenient reading.
 *
 * @param truths The directives true at that point for the lesson's scope.
 * @param expandAll The concrete tools an all-tools (`"*"`) directive would touch.
 */
export function gradeDirectives(
  text: string,
  truths: readonly Directive[],
  expandAll: (directive: Directive) => Directive[],
): LessonGrade {
  const directives = parseParaphrased(text);
  if (directives.length === 0) return "incorrect";
  const known = new Set(truths.map(directiveKey));
  const concrete = directives.flatMap((directive) => ("tool" in directive && directive.tool === "*" ? expandAll(directive) : [directive]));
  if (concrete.length === 0) return "incorrect";
  return concrete.every((directive) => known.has(directiveKey(directive))) ? "correct" : "incorrect";
}

/**
 * Whether a lesson's text states a directive in one of `slots` (the rules a
 * task touches), read exactly as {@link gradeDirectives} reads it; an
 * all-tools directive counts for each tool it would touch.
 */
export function statesRuleIn(text: string, slots: ReadonlySet<string>, expandAll: (directive: Directive) => Directive[]): boolean {
  return parseParaphrased(text)
    .flatMap((directive) => ("tool" in directive && directive.tool === "*" ? expandAll(directive) : [directive]))
    .some((directive) => slots.has(directiveSlot(directive)));
}

/**
 * Expands an all-tools directive to the documented tools it would touch: those
 * having the field it names (every tool, for an added parameter).
 */
export function expandOverTools(tools: readonly ToolSpec[]): (directive: Directive) => Directive[] {
  return (directive) => {
    const has = (tool: ToolSpec, field: string) => Object.hasOwn(tool.parameters, field);
    switch (directive.kind) {
      case "rename_field":
        return tools.filter((tool) => has(tool, directive.from)).map((tool) => ({ ...directive, tool: tool.name }));
      case "scale_value":
      case "format_field":
        return tools.filter((tool) => has(tool, directive.field)).map((tool) => ({ ...directive, tool: tool.name }));
      case "include_param":
        return tools.map((tool) => ({ ...directive, tool: tool.name }));
      case "route_above": {
        const field = directive.quantity === "amount" ? "amount" : "order_id";
        return tools.filter((tool) => tool.name !== directive.instead && has(tool, field)).map((tool) => ({ ...directive, tool: tool.name }));
      }
      default:
        return [directive];
    }
  };
}

/** The drift points in force at `at` (their `at` is at or before it). */
export function driftsAt<D extends DriftPoint>(drifts: readonly D[], at: number): D[] {
  return drifts.filter((drift) => drift.at <= at);
}

/** A request the world cannot read: a typed error that says which task and what was expected. */
/** One way a world writes a request, and how to read it back. */
export interface RequestPattern<R> {
  regex: RegExp;
  read: (match: RegExpExecArray) => R;
}

/** Reads a request with the first pattern that matches it; `undefined` when none does. */
export function readRequest<R>(patterns: readonly RequestPattern<R>[], request: string): R | undefined {
  for (const { regex, read } of patterns) {
    const match = regex.exec(request);
    if (match !== null) return read(match);
  }
  return undefined;
}

export function unreadableRequest(world: string, taskId: string, request: string): LessonloopError {
  return new LessonloopError(
    "invalid_input",
    `${world}: task "${taskId}" has a request this world did not write ("${request.slice(0, 120)}"); pass tasks from this environment's tasks().`,
  );
}

/** Rejects an `at` that is not a task index. */
export function checkIndex(world: string, at: number): void {
  if (!Number.isInteger(at) || at < 0) {
    throw new LessonloopError("invalid_input", `${world}: "at" must be a task index (a whole number of 0 or more), got ${String(at)}.`);
  }
}

/** Rejects a task count or seed that is not a whole number. */
export function checkStreamParams(world: string, seed: number, count: number): void {
  if (!Number.isInteger(count) || count < 0 || count > 100_000) {
    throw new LessonloopError("invalid_input", `${world}: count must be a whole number from 0 to 100000, got ${String(count)}.`);
  }
  if (!Number.isFinite(seed)) throw new LessonloopError("invalid_input", `${world}: seed must be a finite number, got ${String(seed)}.`);
}
