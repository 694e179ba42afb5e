import { describe, expect, it } from "vitest";
import { finishTask } from "../environments/environment.js";
import { ENVIRONMENT_NAMES, createEnvironment } from "../environments/index.js";
import { createSimSuite } from "./sim-suite.js";

describe.each(ENVIRONMENT_NAMES)("%s over its default stream, with the default sim suite", (name) => {
  it("the oracle stays right; the static agent falls behind after the drifts", async () => {
    const suite = createSimSuite();
    const environment = createEnvironment(name);
    const tasks = environment.tasks({ seed: 1, count: environment.defaultTaskCount ?? 120 });
    const agent = suite.createAgent(environment);
    const passed = { static: [] as boolean[], oracle: [] as boolean[] };
    for (const task of tasks) {
      for (const strategy of ["static", "oracle"] as const) {
        const session = environment.open(task, task.index);
        const context = strategy === "oracle" ? environment.oracleLessons(task, task.index).join("\n") : "";
        const { answer } = await agent.run({ task, session, tools: environment.tools, context });
        passed[strategy].push(finishTask(environment, session, answer).passed);
      }
    }
    const rate = (outcomes: readonly boolean[]) => outcomes.filter(Boolean).length / outcomes.length;
    const baseMistakeRate = Number(suite.parameters["agent.baseMistakeRate"]);
    expect(rate(passed.oracle)).toBeGreaterThanOrEqual(0.9 - baseMistakeRate);
    // On the tasks each drift affects (its kinds and users): the static agent's success before it against after it.
    const before: boolean[] = [];
    const after: boolean[] = [];
    for (const drift of environment.drifts) {
      tasks.forEach((task, index) => {
        if (!drift.kinds.includes(task.kind) || (drift.users !== undefined && !drift.users.includes(task.scope.user ?? ""))) return;
        (index < drift.at ? before : after).push(passed.static[index] as boolean);
      });
    }
    expect(rate(after)).toBeLessThan(rate(before) - 0.25);
  });
});
