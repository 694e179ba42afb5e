import type { Environment } from "../environments/environment.js";
import { NO_USAGE } from "./agent.js";
import type { Strategy } from "./strategy.js";

const NOTHING_LEARNED = { lessons: [], rollbacks: [], usage: NO_USAGE, merged: [] };

/** The frozen agent: the documentation only, never learns. */
export function createStaticStrategy(): Strategy {
  return {
    name: "static",
    prepare: async () => ({ text: "", servedLessons: [], memoryVersion: 0 }),
    learn: async () => NOTHING_LEARNED,
    memorySize: async () => 0,
    close: async () => {},
  };
}

/** The ceiling: told the rules in force now (the only strategy that reads the world's hidden state). */
export function createOracleStrategy(environment: Environment): Strategy {
  return {
    name: "oracle",
    prepare: async (task, at) => ({ text: environment.oracleLessons(task, at).join("\n"), servedLessons: [], memoryVersion: 0 }),
    learn: async () => NOTHING_LEARNED,
    memorySize: async () => 0,
    close: async () => {},
  };
}
