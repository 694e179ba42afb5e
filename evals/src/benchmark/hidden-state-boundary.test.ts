import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

/**
 * Nothing but the harness's scoring, the report and the oracle may read a
 * world's hidden side (its drift schedule, the rules in force, how a task
 * should have ended). Agents, learners, critics, validators and learning
 * strategies get a `World` (environments/world.ts) and the worlds' public
 * documentation; this test fails when any other module imports a world's
 * hidden module, by value or by type.
 */

/** The benchmark suite's sources (perf and reliability, beside it, compare no learning strategy). */
const SRC = dirname(fileURLToPath(import.meta.url));

/** What a world tells its agent: documented tools, documented rules, the wording of its requests, plain helpers. */
const PUBLIC_WORLD_MODULES = new Set([
  "environments/world.ts",
  "environments/date-format.ts",
  "environments/world-kit.ts",
  "environments/business-docs.ts",
  "environments/refund-docs.ts",
  "environments/preference-docs.ts",
]);

/** Modules allowed to read hidden state, and why. */
const MAY_READ_HIDDEN_STATE: readonly { path: RegExp; why: string }[] = [
  // A world's simulated planner is the agent's side of it: checked like the agent.
  { path: /^environments\/(?!.*-planner\.ts$)/, why: "the worlds themselves" },
  { path: /^openai\/testing\//, why: "a test world" },
  { path: /^harness\/run-benchmark\.ts$/, why: "scores runs by their ground truth and grades lessons" },
  { path: /^harness\/metrics\.ts$/, why: "adaptation latency needs the drift schedule" },
  { path: /^harness\/fixed-context-strategies\.ts$/, why: "the oracle: told the rules in force" },
  { path: /^report\//, why: "shows the drifts and the grades" },
  { path: /^tests\/fixtures\//, why: "test data: results with drifts, for the report's tests" },
  { path: /^bench(-[a-z-]+)?\.ts$/, why: "entry points: build the worlds" },
  { path: /^harness\/seed-run-worker\.ts$/, why: "the entry point of one seed's child process: builds the worlds" },
  { path: /^sweep\//, why: "the sweep's entry point builds the worlds" },
];

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith(".ts") && !entry.name.endsWith(".test.ts") ? [path] : [];
  });
}

/** Every module specifier a source imports or re-exports, statically or dynamically, types included. */
export function importedSpecifiers(source: string): string[] {
  const found: string[] = [];
  for (const match of source.matchAll(/(?:^|\n)\s*(?:import|export)\s[^;]*?\sfrom\s+["']([^"']+)["']/g)) found.push(match[1] as string);
  for (const match of source.matchAll(/(?:^|\n)\s*import\s+["']([^"']+)["']/g)) found.push(match[1] as string);
  for (const match of source.matchAll(/\bimport\(\s*["']([^"']+)["']\s*\)/g)) found.push(match[1] as string);
  return found;
}

function isHidden(module: string): boolean {
  return module.startsWith("environments/") && !PUBLIC_WORLD_MODULES.has(module);
}

/** The hidden modules `file` (a path under src) imports, as paths under src. */
export function hiddenImports(file: string, source: string): string[] {
  return importedSpecifiers(source)
    .filter((specifier) => specifier.startsWith("."))
    .map((specifier) => relative(SRC, resolve(SRC, dirname(file), specifier)).replace(/\.js$/, ".ts"))
    .filter(isHidden);
}

function mayReadHiddenState(file: string): boolean {
  return MAY_READ_HIDDEN_STATE.some(({ path }) => path.test(file));
}

describe("the hidden-state boundary", () => {
  it("no agent, learner, critic, validator or strategy module imports a world's hidden side", () => {
    const violations = sourceFiles(SRC)
      .map((path) => relative(SRC, path))
      .filter((file) => !mayReadHiddenState(file))
      .flatMap((file) => hiddenImports(file, readFileSync(join(SRC, file), "utf8")).map((hidden) => `${file} imports ${hidden}`));
    expect(violations).toEqual([]);
  });

  it("checks the modules that matter: the simulated models, the sandbox and the strategies", () => {
    const checked = sourceFiles(SRC).map((path) => relative(SRC, path)).filter((file) => !mayReadHiddenState(file));
    expect(checked).toEqual(
      expect.arrayContaining([
        "sim/sim-agent.ts",
        "sim/planner.ts",
        "environments/business-planner.ts",
        "environments/refund-planner.ts",
        "environments/preference-planner.ts",
        "sim/sim-learner-model.ts",
        "sim/episode-reading.ts",
        "harness/sandbox-replay-runner.ts",
        "harness/learning-strategies.ts",
        "harness/reflection-strategy.ts",
        "harness/model-suite.ts",
      ]),
    );
  });

  it("keeps sim/ free of any world's own modules: each world hands the simulated agent its planner", () => {
    const shared = new Set(["environments/world.ts", "environments/date-format.ts", "environments/world-kit.ts"]);
    const reaching = sourceFiles(join(SRC, "sim"))
      .map((path) => relative(SRC, path))
      .flatMap((file) =>
        importedSpecifiers(readFileSync(join(SRC, file), "utf8"))
          .filter((specifier) => specifier.startsWith("."))
          .map((specifier) => relative(SRC, resolve(SRC, dirname(file), specifier)).replace(/\.js$/, ".ts"))
          .filter((module) => module.startsWith("environments/") && !shared.has(module))
          .map((module) => `${file} imports ${module}`),
      );
    expect(reaching).toEqual([]);
  });

  it("catches a module that reads hidden state, by value, by type or by re-export", () => {
    expect(hiddenImports("sim/peek.ts", 'import { API_DRIFTS } from "../environments/api-drift.js";')).toEqual(["environments/api-drift.ts"]);
    expect(hiddenImports("harness/peek.ts", 'import type { Environment } from "../environments/environment.js";')).toEqual(["environments/environment.ts"]);
    expect(hiddenImports("sim/peek.ts", 'export {\n  createEnvironment,\n} from "../environments/index.js";')).toEqual(["environments/index.ts"]);
    expect(hiddenImports("sim/peek.ts", 'const world = await import("../environments/policy-shift.js");')).toEqual(["environments/policy-shift.ts"]);
    expect(hiddenImports("sim/peek.ts", 'import { readBusinessRequest } from "../environments/business-docs.js";\nimport type { World } from "../environments/world.js";')).toEqual([]);
  });

  it("knows the harness's scoring does read it (the rule is not vacuous)", () => {
    const file = "harness/run-benchmark.ts";
    expect(hiddenImports(file, readFileSync(join(SRC, file), "utf8"))).toContain("environments/environment.ts");
  });
});
