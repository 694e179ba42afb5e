import { LessonloopError, type LessonloopErrorCode, type Scope } from "@lessonloop/core";
import { printWarning, warningCause } from "@lessonloop/core/internal";

/** Name of the LangGraph custom event dispatched when retrieval degrades. */
export const DEGRADED_EVENT = "lessonloop.degraded";

/** What failed, and so what the retriever left out. */
export type RetrieverWarningSource =
  /** Lesson memory: no lessons were served. */
  | "memory"
  /** Outcome ledger: lessons were ranked without proven utility. */
  | "ledger"
  /** Example source: no examples were served. */
  | "examples"
  /** The graph's state lacks `LessonContextAnnotation`: runs are not pinned nor logged. */
  | "state";

/**
 * A degradation the run survived. Given to `onWarning` (with the raw `cause`)
 * and dispatched as the custom event {@link DEGRADED_EVENT} (without it, so the
 * payload stays serialisable).
 */
export interface RetrieverWarning {
  type: typeof DEGRADED_EVENT;
  source: RetrieverWarningSource;
  /** What the retriever did instead, e.g. "served no lessons". */
  effect: string;
  /** The error's code: `store_unavailable`, `timeout` … (`store_unavailable` for foreign errors). */
  code: LessonloopErrorCode;
  /** The error's message. */
  message: string;
  /** The scope of the run. */
  scope?: Scope;
  /** The graph step, when known. */
  step?: number;
  /** The error as thrown. */
  cause?: unknown;
}

const EFFECTS: Record<RetrieverWarningSource, string> = {
  memory: "served no lessons",
  ledger: "ranked lessons without proven utility",
  examples: "served no examples",
  state: "cannot pin the memory version nor log served lessons",
};

/** A warning for `error` thrown by `source`. */
export function warningFor(source: RetrieverWarningSource, error: unknown, context: { scope?: Scope; step?: number }): RetrieverWarning {
  const { code, message, cause } = warningCause(error);
  return { type: DEGRADED_EVENT, source, effect: EFFECTS[source], code, message, ...context, cause };
}

/** The default `onWarning`: one line on the console, with the cause. */
export function logWarning(warning: RetrieverWarning): void {
  printWarning({ source: "replay-retriever degraded", detail: `${warning.source}: ${warning.code}`, effect: warning.effect, message: warning.message }, warning.cause);
}

/**
 * One time budget shared by every call a retrieval makes, so that memory,
 * ledger and examples together cannot stall the agent past `ms`.
 */
export interface Deadline {
  /** Resolves as `run` does, or rejects with a `timeout` error once the budget is spent. */
  race<T>(what: string, run: () => Promise<T>): Promise<T>;
  /** Releases the timer. */
  clear(): void;
}

export function createDeadline(ms: number): Deadline {
  let expired = false;
  const listeners = new Set<() => void>();
  const timer = setTimeout(() => {
    expired = true;
    for (const listener of listeners) listener();
    listeners.clear();
  }, ms);
  const timeoutError = (what: string) =>
    new LessonloopError("timeout", `The ${what} did not answer within the retriever's ${ms} ms budget; raise \`timeoutMs\` if it is merely slow.`, {
      details: { timeoutMs: ms },
    });
  return {
    race<T>(what: string, run: () => Promise<T>): Promise<T> {
      if (expired) return Promise.reject(timeoutError(what));
      return new Promise<T>((resolve, reject) => {
        const onExpire = () => reject(timeoutError(what));
        listeners.add(onExpire);
        let pending: Promise<T>;
        try {
          pending = run();
        } catch (error) {
          pending = Promise.reject(error);
        }
        pending.then(
          (value) => {
            listeners.delete(onExpire);
            resolve(value);
          },
          (error: unknown) => {
            listeners.delete(onExpire);
            reject(error);
          },
        );
      });
    },
    clear() {
      clearTimeout(timer);
      listeners.clear();
    },
  };
}
