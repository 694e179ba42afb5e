import { describe, expect, it } from "vitest";
import { createSimAgent } from "../sim/sim-agent.js";
import { finishTask, type Environment, type Task } from "./environment.js";
import { outcomeOfSignals } from "../harness/episode-of-run.js";
import { ENVIRONMENT_NAMES, createEnvironment } from "./index.js";

/** Runs the perfect simulated agent (no mistakes, understands and follows everything) on `task` against the world at `at`. */
async function run(environment: Environment, task: Task, at: number, context: string) {
  const agent = createSimAgent({ environment, baseMistakeRate: 0, followRate: 1, lessonMisreadRate: 0 });
  const session = environment.open(task, at);
  const { answer, trajectory } = await agent.run({ task, session, tools: environment.tools, context });
  return { ...finishTask(environment, session, answer), trajectory };
}

const oracle = (environment: Environment, task: Task, at: number) => environment.oracleLessons(task, at).join("\n");

describe.each(ENVIRONMENT_NAMES)("%s", (name) => {
  const environment = createEnvironment(name);
  const count = environment.defaultTaskCount ?? 120;
  const tasks = environment.tasks({ seed: 11, count });

  it("has a default stream of 100–150 tasks with 3–6 drifts spread over it", () => {
    expect(count).toBeGreaterThanOrEqual(100);
    expect(count).toBeLessThanOrEqual(150);
    expect(environment.drifts.length).toBeGreaterThanOrEqual(3);
    expect(environment.drifts.length).toBeLessThanOrEqual(6);
    for (const drift of environment.drifts) {
      expect(drift.at).toBeGreaterThan(0);
      expect(drift.at).toBeLessThan(count);
    }
    expect(new Set(tasks.map((task) => task.kind)).size).toBeGreaterThanOrEqual(2);
    expect(new Set(tasks.map((task) => task.scope.user)).size).toBeGreaterThanOrEqual(2);
  });

  it("is deterministic: the same seed gives the same tasks and outcomes, another seed other tasks", async () => {
    expect(environment.tasks({ seed: 11, count })).toEqual(tasks);
    expect(environment.tasks({ seed: 12, count }).map((task) => task.request)).not.toEqual(tasks.map((task) => task.request));
    const agent = createSimAgent({ environment });
    for (const task of tasks.slice(0, 40)) {
      const once = environment.open(task, task.index);
      const twice = environment.open(task, task.index);
      const first = await agent.run({ task, session: once, tools: environment.tools, context: "" });
      const second = await agent.run({ task, session: twice, tools: environment.tools, context: "" });
      expect(second.trajectory).toEqual(first.trajectory);
      expect(twice.finish(second.answer)).toEqual(once.finish(first.answer));
    }
  });

  it("drifts exactly on schedule: what was right just before a drift fails at it, and the new rules pass", async () => {
    for (const drift of environment.drifts) {
      const affected = tasks.filter((task) => drift.kinds.includes(task.kind) && (drift.users === undefined || drift.users.includes(task.scope.user ?? "")));
      expect(affected.length, drift.change).toBeGreaterThan(0);
      let broken = 0;
      for (const task of affected) {
        const stale = oracle(environment, task, drift.at - 1);
        const before = await run(environment, task, drift.at - 1, stale);
        expect(before.passed, `${task.request} before "${drift.change}": ${before.reason}`).toBe(true);
        const after = await run(environment, task, drift.at, stale);
        if (!after.passed) broken += 1;
        const adapted = await run(environment, task, drift.at, oracle(environment, task, drift.at));
        expect(adapted.passed, `${task.request} with the rules after "${drift.change}": ${adapted.reason}`).toBe(true);
      }
      // Every drift breaks some of the tasks it names (amount thresholds spare small refunds, for one).
      expect(broken, drift.change).toBeGreaterThan(0);
    }
  });

  it("tasks of kinds no drift names are unaffected by every drift", async () => {
    const affectedKinds = new Set(environment.drifts.flatMap((drift) => drift.kinds));
    for (const task of tasks.filter((candidate) => !affectedKinds.has(candidate.kind)).slice(0, 20)) {
      const first = await run(environment, task, 0, oracle(environment, task, task.index));
      const last = await run(environment, task, count - 1, oracle(environment, task, task.index));
      expect(last.passed).toBe(first.passed);
    }
  });

  it("the oracle's knowledge passes every task of the stream (with a perfect agent)", async () => {
    for (const task of tasks) {
      const outcome = await run(environment, task, task.index, oracle(environment, task, task.index));
      expect(outcome.passed, `${task.id} ${task.request}: ${outcome.reason}`).toBe(true);
    }
  });

  it("gives operators a signal on every failure, and grades its own rules correct", async () => {
    for (const task of tasks.slice(0, 60)) {
      const outcome = await run(environment, task, count - 1, "");
      const said = outcomeOfSignals(outcome.signals);
      if (!outcome.passed) expect(said.status).toBe("failure");
      for (const lesson of environment.oracleLessons(task, count - 1)) {
        expect(environment.gradeLesson({ text: lesson, scope: task.scope }, count - 1), lesson).toBe("correct");
      }
    }
  });

  it("rejects tasks it did not write and bad indexes with a typed error", () => {
    const task = tasks[0] as Task;
    expect(() => environment.open({ ...task, request: "Do something else." }, 0)).toThrow(/did not write/);
    expect(() => environment.open(task, -1)).toThrow(/task index/);
    expect(() => environment.tasks({ seed: 1, count: 1.5 })).toThrow(/whole number/);
  });
});

describe("createEnvironment", () => {
  it("builds each world by name and rejects unknown names", () => {
    for (const name of ENVIRONMENT_NAMES) expect(createEnvironment(name).name).toBe(name);
    expect(() => createEnvironment("nowhere")).toThrow(/Unknown environment "nowhere"/);
  });
});
