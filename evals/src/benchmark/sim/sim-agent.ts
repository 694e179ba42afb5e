import { LessonloopError, type TrajectoryStep } from "@lessonloop/core";
import { parseWith } from "@lessonloop/core/internal";
import { estimateTokens } from "@lessonloop/replay-retriever";
import { z } from "zod";
import type { Agent, AgentRun, ModelUsage } from "../harness/agent.js";
import { formatDate, parseDate } from "../environments/date-format.js";
import { round } from "../environments/world-kit.js";
import type { Session, ToolSpec, World } from "../environments/world.js";
import { directiveKey, termReference, type Directive } from "./lesson-language.js";
import type { CallResult, PlanContext } from "./planner.js";
import { readLessons } from "./lesson-reader.js";
import { answerStyle, batchShown, copyExampleCall, exampleFor, readExamples, splitContext, type DecidedByLessons, type ReadExample } from "./example-reader.js";
import { keyedDraw } from "../keyed-draw.js";

/** Parameters of {@link createSimAgent}. */
export interface SimAgentParams {
  /** The world it works in: its `simPlanner` works the tasks from the documented tools. */
  environment: World;
  /** Seed of the agent's own randomness (mistakes, attention). Default 1. */
  seed?: number;
  /** Chance of an ordinary mistake on a task (a wrong value in the main call), decided by seed and task id only. Default 0.03. */
  baseMistakeRate?: number;
  /** Chance that the agent follows one directive it read, decided by seed, task id and directive only. Default 0.98. */
  followRate?: number;
  /**
   * Chance that the agent fails to understand one sentence of its lessons
   * (it reads them by meaning, see lesson-reader.ts), decided by seed, task id
   * and the sentence's text only, so every strategy that shows the same text
   * on the same task gets the same misreading. Default 0.05.
   * The same chance applies to taking in a worked example.
   */
  lessonMisreadRate?: number;
}

const RatesSchema = z.object({
  seed: z.number().finite(),
  baseMistakeRate: z.number().min(0).max(1),
  followRate: z.number().min(0).max(1),
  lessonMisreadRate: z.number().min(0).max(1),
});

/** The documentation as the agent's prompt holds it. */
export function renderToolDocs(tools: readonly ToolSpec[]): string {
  return tools
    .map((tool) => {
      const params = Object.entries(tool.parameters).map(([name, about]) => `  - ${name}${tool.required.includes(name) ? " (required)" : ""}: ${about}`);
      return [`${tool.name}: ${tool.description}`, ...params].join("\n");
    })
    .join("\n");
}

/** The field a directive acts on, for resolving conflicts between directives of one kind. */
function fieldOf(directive: Directive): string {
  switch (directive.kind) {
    case "rename_field":
      return directive.from;
    case "scale_value":
    case "format_field":
      return directive.field;
    case "include_param":
      return directive.param;
    default:
      return "";
  }
}

function parseResult(content: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(content);
    return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/**
 * The simulated agent. It knows only the documented tools and rules (the
 * world's own `simPlanner`, which reads `task.request` and the tool results), and
 * changes its behaviour only through directives it reads in `context` — by
 * meaning, whatever their wording, missing a sentence with
 * `lessonMisreadRate` — each followed with `followRate`. Its ordinary mistakes and its attention depend on
 * (seed, task id) alone — common random numbers: every strategy sees the same
 * mistakes on the same tasks, and a replay with and without a lesson differs
 * only by the lesson. One model call a step; tokens by `estimateTokens` of the
 * prompt (documentation, context, request, steps so far) and of the output.
 *
 * Worked examples in its context (successful past runs, rendered after the
 * lessons) are used by the rule of `example-reader.ts`: on a similar task it
 * copies how the example called the tools, stale or not, where no lesson it
 * follows decides otherwise; it takes one in with `1 - lessonMisreadRate` and
 * copies it with `followRate`, keyed by (seed, task id, the example's task).
 */
export function createSimAgent({ environment, seed = 1, baseMistakeRate = 0.03, followRate = 0.98, lessonMisreadRate = 0.05 }: SimAgentParams): Agent {
  parseWith(RatesSchema, { seed, baseMistakeRate, followRate, lessonMisreadRate }, "simulated agent params");
  const planner = environment.simPlanner;
  if (planner === undefined) {
    throw new LessonloopError("invalid_input", `The simulated agent has no planner for environment "${String(environment.name)}": give the world a simPlanner.`);
  }

  return {
    async run({ task, session, tools, context, signal }): Promise<AgentRun> {
      signal?.throwIfAborted();
      const docs = renderToolDocs(tools);
      const trajectory: TrajectoryStep[] = [];
      if (context.trim() !== "") trajectory.push({ type: "message", role: "system", content: context });
      trajectory.push({ type: "message", role: "user", content: task.request });

      const usage: ModelUsage = { calls: 0, promptTokens: 0, completionTokens: 0 };
      const promptBase = estimateTokens(`${docs}\n${context}\n${task.request}`);
      let transcriptTokens = 0;
      const spend = (output: string) => {
        usage.calls += 1;
        usage.promptTokens += promptBase + transcriptTokens;
        usage.completionTokens += estimateTokens(output);
      };

      const parts = splitContext(context);
      const read = readLessons(parts.lessons, { understands: (sentence) => keyedDraw(seed, task.id, "read", sentence) >= lessonMisreadRate });
      const followed = read.filter((directive) => keyedDraw(seed, task.id, "follow", directiveKey(directive)) < followRate);
      const mistake = keyedDraw(seed, task.id, "mistake") < baseMistakeRate;
      const similar = exampleFor(task.request, readExamples(parts.examples));
      const example: ReadExample | undefined =
        similar !== undefined && keyedDraw(seed, task.id, "read-example", similar.task) >= lessonMisreadRate && keyedDraw(seed, task.id, "follow-example", similar.task) < followRate
          ? similar
          : undefined;
      const documented = new Set(tools.map((tool) => tool.name));
      const copy = (name: string, args: Record<string, unknown>) =>
        example === undefined ? { tool: name, args } : copyExampleCall({ tool: name, args }, example, { task: task.request, documented, decided: decidedByLessons(followed, name) });
      const style = example === undefined ? {} : answerStyle(example);
      const exec = (name: string, args: Record<string, unknown>): CallResult => execute(session, trajectory, followed, copy, name, args, (step) => {
        if (step.type === "tool_call") spend(JSON.stringify({ name: step.name, args: step.args }));
        transcriptTokens += estimateTokens(step.type === "tool_call" ? JSON.stringify(step.args) : step.type === "tool_result" ? step.content : "");
      });

      const planContext: PlanContext = {
        task,
        exec,
        followed,
        mistake,
        slip: (value) => (mistake ? round(value + 1, 6) : value),
        preference(aspect) {
          const found = followed.find((directive) => directive.kind === "preference" && directive.aspect === aspect);
          // TypeScript cannot tie a found directive's value to the generic aspect (a correlated union):
          // the find above matched `aspect`, so the value is that aspect's. A followed lesson wins over an example's answer.
          if (found?.kind === "preference") return found.value as never;
          return aspect === "confirm_above" ? undefined : (style[aspect] as never);
        },
        lookupMany(tool, param, ids) {
          const followedBatch = followed.find((directive) => directive.kind === "batch_calls" && directive.tool === tool);
          const shownBatch = example === undefined ? undefined : batchShown(example, documented);
          const batch =
            followedBatch?.kind === "batch_calls"
              ? { tool: followedBatch.batchTool, param: followedBatch.param }
              : shownBatch !== undefined && shownBatch.param.startsWith(param)
                ? shownBatch
                : undefined;
          if (batch !== undefined) {
            const result = exec(batch.tool, { [batch.param]: [...ids] });
            if (!result.ok) return { ok: false, failed: result };
            const records = Object.values(result.data).find(Array.isArray) as unknown[] | undefined;
            return { ok: true, records: (records ?? []).filter((record): record is Record<string, unknown> => typeof record === "object" && record !== null) };
          }
          const records: Record<string, unknown>[] = [];
          for (const id of ids) {
            const result = exec(tool, { [param]: id });
            if (!result.ok) return { ok: false, failed: result };
            records.push(result.data);
          }
          return { ok: true, records };
        },
      };

      const answer = planner(planContext);
      spend(answer);
      trajectory.push({ type: "message", role: "assistant", content: answer });
      return { trajectory, answer, usage };
    },
  };
}

/** The value a followed directive gives the name `term`. */
function definitionOf(followed: readonly Directive[], term: string): string | undefined {
  for (const directive of followed) if (directive.kind === "define_term" && directive.term === term) return directive.value;
  return undefined;
}

const appliesTo = (directive: Directive, ...tools: string[]) => "tool" in directive && (directive.tool === "*" || tools.includes(directive.tool as string));

/** What the followed lessons decide of a call to `name`: an example changes none of it. */
function decidedByLessons(followed: readonly Directive[], name: string): DecidedByLessons {
  const fields = new Set<string>();
  for (const directive of followed) {
    if (!appliesTo(directive, name)) continue;
    const field = fieldOf(directive);
    if (field !== "") fields.add(field);
    if (directive.kind === "rename_field") fields.add(directive.to);
  }
  return { tool: followed.some((directive) => directive.kind === "replace_tool" && directive.from === name), fields };
}

/** Applies a worked example, then the followed directives, to one call, makes it, and records both steps. */
function execute(
  session: Session,
  trajectory: TrajectoryStep[],
  followed: readonly Directive[],
  copy: (name: string, args: Record<string, unknown>) => { tool: string; args: Record<string, unknown> },
  planned: string,
  plannedArgs: Record<string, unknown>,
  onStep: (step: TrajectoryStep) => void,
): CallResult {
  const { tool: name, args } = copy(planned, plannedArgs);
  const replaced = followed.find((directive) => directive.kind === "replace_tool" && directive.from === name);
  const tool = replaced?.kind === "replace_tool" ? replaced.to : name;
  const applies = (directive: Directive) => appliesTo(directive, planned, name, tool);
  const callArgs: Record<string, unknown> = { ...args };
  // The first directive read for a field wins; formats and scales act on documented names, renames last.
  for (const kind of ["format_field", "scale_value", "include_param", "rename_field"] as const) {
    const done = new Set<string>();
    for (const directive of followed) {
      if (directive.kind !== kind || !applies(directive) || done.has(fieldOf(directive))) continue;
      done.add(fieldOf(directive));
      switch (directive.kind) {
        case "format_field": {
          const value = callArgs[directive.field];
          const iso = typeof value === "string" ? parseDate(value, "YYYY-MM-DD") : undefined;
          if (iso !== undefined) callArgs[directive.field] = formatDate(iso, directive.format);
          break;
        }
        case "scale_value": {
          const value = callArgs[directive.field];
          if (typeof value === "number") callArgs[directive.field] = round(value * directive.factor, 6);
          break;
        }
        case "include_param": {
          // A value written as "{name}" is the value a followed lesson gives that name; unknown, it is left out.
          const term = termReference(directive.value);
          const value = term === undefined ? directive.value : definitionOf(followed, term);
          if (value === undefined) done.delete(fieldOf(directive));
          else if (callArgs[directive.param] === undefined) callArgs[directive.param] = value;
          break;
        }
        case "rename_field":
          if (directive.from in callArgs) {
            callArgs[directive.to] = callArgs[directive.from];
            delete callArgs[directive.from];
          }
          break;
      }
    }
  }
  const callId = `call_${trajectory.filter((step) => step.type === "tool_call").length + 1}`;
  const call: TrajectoryStep = { type: "tool_call", id: callId, name: tool, args: callArgs };
  trajectory.push(call);
  onStep(call);
  const result = session.callTool(tool, callArgs);
  const resultStep: TrajectoryStep = { type: "tool_result", callId, name: tool, content: result.content, isError: result.isError };
  trajectory.push(resultStep);
  onStep(resultStep);
  return { ok: !result.isError, data: result.isError ? {} : parseResult(result.content), text: result.content, tool };
}
