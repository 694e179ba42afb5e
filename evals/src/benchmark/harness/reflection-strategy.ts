import { NO_USAGE } from "./agent.js";
import type { Reflector } from "./model-suite.js";
import type { Strategy } from "./strategy.js";

export interface ReflectionStrategyParams {
  reflector: Reflector;
  /** Reflections kept, newest replacing the oldest. Default 3. */
  size?: number;
}

const HEADER = "Reflections on your recent failed attempts (keep them in mind):";

/**
 * Reflexion-style: after each failure the model reflects on what went wrong,
 * and the last few reflections go into every later prompt — no retrieval, no
 * scope, no validation. Each new reflection is a new "version" of the buffer,
 * so a regression probe can read the buffer as it was before.
 */
export function createReflectionStrategy({ reflector, size = 3 }: ReflectionStrategyParams): Strategy {
  const versions: string[][] = [[]];
  const current = (): string[] => versions[versions.length - 1] ?? [];
  const render = (buffer: readonly string[]) => (buffer.length === 0 ? "" : [HEADER, ...buffer.map((text, index) => `${index + 1}. ${text}`)].join("\n"));

  return {
    name: "reflection",
    prepare: async (_task, _at, version) => {
      const at = version ?? versions.length - 1;
      return { text: render(versions[at] ?? []), servedLessons: [], memoryVersion: at };
    },
    async learn(episode) {
      if (episode.outcome.status !== "failure") return { lessons: [], rollbacks: [], usage: NO_USAGE, merged: [] };
      const { text, usage } = await reflector.reflect(episode);
      if (text === undefined || text.trim() === "") return { lessons: [], rollbacks: [], usage, merged: [] };
      versions.push([...current(), text].slice(-size));
      const id = `reflection-${versions.length - 1}`;
      return {
        // The buffer goes into every prompt of the tenant, whoever the user.
        lessons: [{ lessonId: id, text, scope: { tenant: episode.scope.tenant }, outcome: "merged" }],
        rollbacks: [],
        usage,
        merged: [id],
      };
    },
    memorySize: async () => current().length,
    close: async () => {},
  };
}
