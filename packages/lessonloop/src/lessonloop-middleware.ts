import { dispatchCustomEvent } from "@langchain/core/callbacks/dispatch";
import { SystemMessage, type BaseMessage } from "@langchain/core/messages";
import { Command, getConfig } from "@langchain/langgraph";
import {
  LessonloopError,
  ScopeSchema,
  type Clock,
  type Episode,
  type IdGenerator,
  type Outcome,
  type Scope,
  type TrajectoryStep,
  type EpisodeQueue,
} from "@lessonloop/core";
import { parseWith, randomId, systemClock, warningCause } from "@lessonloop/core/internal";
import { DEGRADED_EVENT, renderLessonContext, type RetrieverWarning, type SelectionDegradation } from "@lessonloop/replay-retriever";
import type { AgentMiddleware } from "langchain";
import { z } from "zod";
import { toolNamesOf } from "./available-tools.js";
import { createEpisodeRecorder, messageText, trajectoryFromMessages } from "./episode-recorder.js";
import type { LearningLoop, LoopSelectionParams } from "./learning-loop.js";
import type { LearningTiming } from "./with-learning.js";
import { readRunScope, warnRunScope, type RunScope } from "./run-scope.js";
import { handEpisodeToLoop } from "./with-learning-nodes.js";

// `langchain` is an optional peer dependency: the rest of lessonloop (withLearning, the
// CLI) must load without it, so it is imported here, once, only if it is installed.
let langchain: typeof import("langchain") | undefined;
let langchainMissing: unknown;
try {
  langchain = await import("langchain");
} catch (error) {
  langchainMissing = error;
}

/** The state key of the middleware's per-run state (private: `_`-prefixed keys stay out of the agent's input and output). */
export const LESSONLOOP_RUN_KEY = "_lessonloopRun";

/** What the middleware keeps about the run in progress, checkpointed with the thread. */
export interface LessonloopRun {
  /** The run's task text: what lessons were matched to, recorded as the episode's input. */
  input: string;
  /** Id of the human message the run answers; the trajectory starts there. */
  inputMessageId?: string | undefined;
  /** Whose run it is; absent when the run's scope was invalid (it was served no lessons and is not recorded). */
  scope?: Scope | undefined;
  /** The memory version the run is pinned to; absent when memory could not be read. */
  version?: number | undefined;
  /** Ids of the lessons served, best first; with tool-anchored lessons, every lesson served on any model call of the run. */
  lessonIds: string[];
  /** The rendered lessons (and examples) added to the system message of every model call; "" for none. */
  lessonText: string;
  /** When the run started (ISO 8601). */
  startedAt: string;
  /** Set once the run's episode was recorded. */
  recorded?: boolean | undefined;
}

const LessonloopRunSchema = z.object({
  input: z.string(),
  inputMessageId: z.string().optional(),
  scope: z.custom<Scope>((value) => ScopeSchema.safeParse(value).success).optional(),
  version: z.number().int().min(0).optional(),
  lessonIds: z.array(z.string()),
  lessonText: z.string(),
  startedAt: z.string(),
  recorded: z.boolean().optional(),
});

/** The middleware's state schema: one private key holding the run in progress. */
const LessonloopStateSchema = z.object({ [LESSONLOOP_RUN_KEY]: LessonloopRunSchema.optional() });

/** The agent state the middleware's callbacks see: the messages, the run, and whatever else the agent keeps. */
export type LessonloopAgentState = Record<string, unknown> & {
  messages: BaseMessage[];
  [LESSONLOOP_RUN_KEY]?: LessonloopRun | undefined;
};

/** The `createAgent` middleware `lessonloopMiddleware` returns. */
export type LessonloopMiddleware = AgentMiddleware<typeof LessonloopStateSchema, undefined, unknown>;

export interface LessonloopMiddlewareOptions<TContext = Record<string, unknown>> {
  /**
   * Whose run it is: a scope, or a function of the run's context (what the
   * agent is invoked with as `context`, typed by `createAgent({ contextSchema })`)
   * and state, e.g. `(ctx) => ({ tenant: ctx.tenantId, user: ctx.userId })`.
   * Read once, when the run starts. Lessons are served and learned within it.
   * A function that throws or returns an invalid scope (a name empty, longer
   * than 256 characters, or holding control characters) does not fail the
   * run: it answers without lessons, nothing of it is recorded, and the loop
   * reports a `warning` event (source `scope`). Default `{ tenant: "default" }`.
   */
  scope?: Scope | ((context: TContext, state: LessonloopAgentState) => Scope);
  /** `"sync"`, `"background"` (default) or `"off"`, as for withLearning. */
  learning?: LearningTiming;
  /** A shared `EpisodeQueue` that background episodes go to instead of the loop's own queue, for learning workers; the run returns once it holds the episode durably. As for withLearning. */
  queue?: EpisodeQueue;
  /**
   * The run's task text, matched against lessons and recorded as the episode's
   * input. Default: the text of the last human message.
   */
  input?: (state: LessonloopAgentState) => string | undefined;
  /**
   * What the run did. Default: the messages from the run's human message on
   * (tool calls, tool results with `status: "error"` as errors).
   */
  trajectory?: (state: LessonloopAgentState, run: LessonloopRun) => TrajectoryStep[];
  /** An outcome the state already knows. Default none: the critic decides. */
  outcome?: (state: LessonloopAgentState) => Outcome | undefined;
  /**
   * How lessons are chosen (`maxLessons`, `budget`, `minRelevance`,
   * `timeoutMs`, `render` …), as for the replay-retriever: the loop's
   * selector (`loop.createSelector`) on its memory and ledger. A degradation
   * (memory down, timeout …) is the loop's `warning` event (source
   * `middleware`) and the run's custom event "lessonloop.degraded".
   */
  retriever?: LoopSelectionParams;
  /** Told about every recorded episode, before it is learned or queued. */
  onEpisode?: (episode: Episode) => void;
  /** Name of the middleware (its hook nodes are `<name>.before_agent` …). Default `"lessonloop"`. */
  name?: string;
  /** Ids of episodes. Default random UUIDs. */
  ids?: IdGenerator;
  /** Stamps runs and episodes, and ages lessons for ranking. Default the system clock (for ranking: the loop's). */
  clock?: Clock;
}

const EFFECTS: Record<SelectionDegradation["source"], string> = {
  memory: "served no lessons",
  ledger: "ranked lessons without proven utility",
  examples: "served no examples",
  state: "cannot pin the memory version",
};

function warningOf({ source, error }: SelectionDegradation, scope: Scope): RetrieverWarning {
  const { code, message, cause } = warningCause(error);
  return { type: DEGRADED_EVENT, source, effect: EFFECTS[source], code, message, scope, cause };
}

/** On the loop's channel (`warning` events, source `middleware`), and as the run's custom event {@link DEGRADED_EVENT}. */
async function report(warning: RetrieverWarning, loop: LearningLoop): Promise<void> {
  // The loop shields the run from a throwing listener.
  loop.warn({ source: "middleware", warning });
  const { cause: _cause, ...payload } = warning;
  try {
    await dispatchCustomEvent(DEGRADED_EVENT, payload);
  } catch {
    // Outside a run there is no one to dispatch to.
  }
}

function lastHuman(messages: readonly BaseMessage[]): BaseMessage | undefined {
  for (let index = messages.length - 1; index >= 0; index--) {
    const message = messages[index] as BaseMessage;
    if (message.getType() === "human") return message;
  }
  return undefined;
}

/** The messages of the run: from its human message on (the whole list when that message is gone, e.g. summarized). */
function runMessages(messages: readonly BaseMessage[], run: LessonloopRun): readonly BaseMessage[] {
  if (run.inputMessageId === undefined) return messages;
  const start = messages.findIndex((message) => message.id === run.inputMessageId);
  return start === -1 ? messages : messages.slice(start);
}

/**
 * The run's context: what the agent was invoked with as `context`. Hooks of a
 * middleware without a `contextSchema` get an empty `runtime.context`, so it
 * is read from the run's config (public LangGraph API), under what the runtime gives.
 */
function runContext(runtimeContext: unknown): Record<string, unknown> {
  let configured: unknown;
  try {
    configured = getConfig()?.context;
  } catch {
    configured = undefined;
  }
  const asRecord = (value: unknown) => (typeof value === "object" && value !== null ? (value as Record<string, unknown>) : {});
  return { ...asRecord(configured), ...asRecord(runtimeContext) };
}

/** The system message with the lessons after the user's own prompt: one message, never a second. */
function withLessons(systemMessage: SystemMessage | undefined, lessonText: string): SystemMessage {
  if (systemMessage === undefined) return new SystemMessage(lessonText);
  return systemMessage.concat(systemMessage.text.trim() === "" ? lessonText : `\n\n${lessonText}`);
}

/**
 * On-the-job learning for a LangChain v1 `createAgent` agent, as a middleware:
 *
 * ```ts
 * const agent = createAgent({ model, tools, systemPrompt, checkpointer,
 *   middleware: [lessonloopMiddleware(loop, { scope: (ctx) => ({ tenant: ctx.tenantId }) })] });
 * ```
 *
 * - When a run starts (`beforeAgent`) it reads the run's scope, pins the run to
 *   the live memory version and chooses the lessons that apply to the last
 *   human message — the replay-retriever's selection: ranking, token budget,
 *   timeout, and no lessons (with a warning) when memory is unreachable.
 * - On every model call (`wrapModelCall`) it appends them to the one system
 *   message of the request, after your own system prompt. They are never added
 *   as a second system message, nor saved into the thread's messages. When the
 *   request has tools, the lessons anchored to them (a lesson's `tools`) are
 *   candidates too, whatever the task's words: that call is served the
 *   selection for the run's input, pinned version and the request's tools.
 * - When the run ends (`afterAgent`; a run paused by `humanInTheLoopMiddleware`
 *   ends when it is resumed and finishes) it records the run's episode (input,
 *   trajectory, scope, pinned version, served lessons) and hands it to the loop:
 *   learned before returning (`"sync"`), queued (`"background"`, default) or only
 *   only credited to the lessons it was served, for the regression monitor
 *   (`"off"`). Learning never fails the run.
 *
 * Per-run state (scope, pinned version, served lessons, start) lives in the
 * middleware's state under {@link LESSONLOOP_RUN_KEY}, checkpointed with the
 * thread, so concurrent runs never share it and a resumed run keeps its pin.
 * The key is private: it is not part of the agent's input or `invoke` output.
 */
export function lessonloopMiddleware<TContext = Record<string, unknown>>(loop: LearningLoop, options: LessonloopMiddlewareOptions<TContext> = {}): LessonloopMiddleware {
  if (langchain === undefined) {
    throw new LessonloopError(
      "invalid_input",
      `lessonloopMiddleware needs the \`langchain\` package (^1.5), which could not be loaded: install it next to lessonloop (npm i langchain), or use withLearning for a hand-built StateGraph. (${String(langchainMissing)})`,
      { cause: langchainMissing },
    );
  }
  const {
    scope = { tenant: "default" },
    learning = "background",
    queue,
    input,
    trajectory,
    outcome,
    retriever = {},
    onEpisode,
    name = "lessonloop",
    ids = randomId,
  } = options;
  const clock = options.clock ?? systemClock;
  if (typeof scope !== "function") parseWith(ScopeSchema, scope, "lessonloopMiddleware scope");
  const render = retriever.render ?? renderLessonContext;
  const select = loop.createSelector({ ...(options.clock === undefined ? {} : { clock: options.clock }), ...retriever, render });
  const recordEpisode = createEpisodeRecorder({ ids, clock });

  const resolveScope = (context: Record<string, unknown>, state: LessonloopAgentState): RunScope =>
    readRunScope(() => (typeof scope === "function" ? scope(context as TContext, state) : scope), "scope returned by lessonloopMiddleware's `scope` function");
  const inputOf = (state: LessonloopAgentState): { text: string; messageId: string | undefined } => {
    const human = lastHuman(state.messages);
    const text = input === undefined ? (human === undefined ? "" : messageText(human)) : (input(state) ?? "");
    return { text, messageId: human?.id };
  };

  /**
   * The memory version the run was served from: its pin, else the live version;
   * with memory unreachable, version 0 (the empty memory, which is what the run
   * was served), as withLearning does.
   */
  async function servedVersion(run: LessonloopRun): Promise<number> {
    if (run.version !== undefined) return run.version;
    try {
      return await loop.memory.headVersion();
    } catch (error) {
      console.warn(`[lessonloop] lessonloopMiddleware: the lesson memory is unreachable (${String(error)}); this run was served no lessons, and its episode is recorded against version 0 and kept for learning.`);
      return 0;
    }
  }

  return langchain.createMiddleware({
    name,
    stateSchema: LessonloopStateSchema,

    async beforeAgent(state, runtime) {
      const agentState = state as LessonloopAgentState;
      const { text, messageId } = inputOf(agentState);
      const { scope: runScope, error } = resolveScope(runContext(runtime.context), agentState);
      if (runScope === undefined) {
        warnRunScope(loop, "lessonloopMiddleware", error);
        // Replaces the thread's previous run, so none of its lessons is served again.
        const skipped: LessonloopRun = { input: text, inputMessageId: messageId, lessonIds: [], lessonText: "", startedAt: clock.now().toISOString(), recorded: true };
        return { [LESSONLOOP_RUN_KEY]: skipped };
      }
      const { version, lessons, examples, degraded } = await select({ text, scope: runScope });
      for (const degradation of degraded) await report(warningOf(degradation, runScope), loop);
      const run: LessonloopRun = {
        input: text,
        inputMessageId: messageId,
        scope: runScope,
        version,
        lessonIds: lessons.map((served) => served.lesson.id),
        lessonText: lessons.length === 0 && examples.length === 0 ? "" : render({ lessons, examples }),
        startedAt: clock.now().toISOString(),
      };
      return { [LESSONLOOP_RUN_KEY]: run };
    },

    async wrapModelCall(request, handler) {
      const run = (request.state as LessonloopAgentState)[LESSONLOOP_RUN_KEY];
      if (run === undefined) return handler(request);
      let lessonText = run.lessonText;
      let added: string[] = [];
      const tools = toolNamesOf(request.tools);
      // The request's tools can anchor lessons the run's words did not find; read at the run's pin, as its other lessons.
      if (tools.length > 0 && run.scope !== undefined && run.version !== undefined && run.input.trim() !== "") {
        const { lessons, examples, degraded } = await select({ text: run.input, scope: run.scope, version: run.version, tools });
        for (const degradation of degraded) await report(warningOf(degradation, run.scope), loop);
        if (degraded.length === 0) {
          lessonText = lessons.length === 0 && examples.length === 0 ? "" : render({ lessons, examples });
          added = lessons.map((served) => served.lesson.id).filter((id) => !run.lessonIds.includes(id));
        }
      }
      const response = await handler(lessonText === "" ? request : { ...request, systemMessage: withLessons(request.systemMessage, lessonText) });
      if (added.length === 0) return response;
      // The run's served lessons grow by the anchored ones, so its outcome is credited to them too.
      return new Command({ update: { [LESSONLOOP_RUN_KEY]: { ...run, lessonIds: [...run.lessonIds, ...added] } } });
    },

    async afterAgent(state) {
      const agentState = state as LessonloopAgentState;
      const run = agentState[LESSONLOOP_RUN_KEY];
      if (run === undefined || run.recorded === true || run.scope === undefined || run.input.trim() === "") return undefined;
      // Recording and learning never fail the user's run: it has already produced its answer.
      let episode: Episode;
      try {
        const known = outcome?.(agentState);
        episode = recordEpisode({
          input: run.input,
          trajectory: trajectory?.(agentState, run) ?? trajectoryFromMessages(runMessages(agentState.messages, run)),
          scope: run.scope,
          memoryVersion: await servedVersion(run),
          servedLessons: run.lessonIds,
          startedAt: run.startedAt,
          ...(known === undefined ? {} : { outcome: known }),
        });
      } catch (error) {
        console.warn(`[lessonloop] lessonloopMiddleware: this run's episode could not be recorded: ${String(error)}`);
        return { [LESSONLOOP_RUN_KEY]: { ...run, recorded: true } };
      }
      try {
        onEpisode?.(episode);
      } catch (error) {
        console.warn(`[lessonloop] lessonloopMiddleware: onEpisode threw on episode ${episode.id}: ${String(error)}`);
      }
      await handEpisodeToLoop(loop, learning, episode, queue);
      return { [LESSONLOOP_RUN_KEY]: { ...run, recorded: true } };
    },
  });
}
