import { describe, expect, it } from "vitest";
import { createApiDriftEnvironment } from "../environments/api-drift.js";
import { createSimSuite } from "./sim-suite.js";

describe("createSimSuite", () => {
  it("lists every rate, has three independent peer validators and no critic model", () => {
    const suite = createSimSuite({ falseLessonRate: 0.2 });
    expect(suite.mode).toBe("sim");
    expect(suite.criticModel).toBeNull();
    expect(suite.validators).toEqual([
      { id: "peer-1", errorRate: 0.02 },
      { id: "peer-2", errorRate: 0.03 },
      { id: "peer-3", errorRate: 0.05 },
    ]);
    expect(suite.parameters).toMatchObject({
      seed: 1,
      "agent.baseMistakeRate": 0.03,
      "agent.followRate": 0.98,
      "agent.lessonMisreadRate": 0.05,
      "learner.falseLessonRate": 0.2,
      "learner.overGeneralRate": 0.1,
      "learner.credulityInjection": 0.3,
      "learner.credulityFeedback": 0.35,
      "validator.peer-3.errorRate": 0.05,
    });
    expect(suite.learningUsage()).toEqual({ calls: 0, promptTokens: 0, completionTokens: 0 });
  });

  it("gives validators the same simulated agent, so a replay repeats the run it replays", async () => {
    const suite = createSimSuite({ baseMistakeRate: 0.3 });
    const environment = createApiDriftEnvironment();
    const agent = suite.createAgent(environment);
    const replay = suite.createReplayAgent(environment, suite.validators[0] as never);
    for (const task of environment.tasks({ seed: 1, count: 30 })) {
      const first = await agent.run({ task, session: environment.open(task, 50), tools: environment.tools, context: "" });
      const again = await replay.run({ task, session: environment.open(task, 50), tools: environment.tools, context: "" });
      expect(again).toEqual(first);
    }
  });

  it("gives its agents the misread rate: at 1 they understand no lesson", async () => {
    const environment = createApiDriftEnvironment();
    const deaf = createSimSuite({ baseMistakeRate: 0, lessonMisreadRate: 1 }).createAgent(environment);
    const reading = createSimSuite({ baseMistakeRate: 0, lessonMisreadRate: 0 }).createAgent(environment);
    let differs = 0;
    for (const task of environment.tasks({ seed: 1, count: 30 })) {
      const run = (agent: typeof deaf, context: string) => agent.run({ task, session: environment.open(task, 119), tools: environment.tools, context });
      const context = environment.oracleLessons(task, 119).join("\n");
      expect((await run(deaf, context)).answer).toBe((await run(deaf, "")).answer);
      if ((await run(reading, context)).answer !== (await run(reading, "")).answer) differs += 1;
    }
    expect(differs).toBeGreaterThan(5);
  });

  it("rejects a rate outside [0, 1] with a typed error", () => {
    expect(() => createSimSuite({ followRate: 1.5 })).toThrow(/followRate/);
    expect(() => createSimSuite({ lessonMisreadRate: -0.1 })).toThrow(/lessonMisreadRate/);
    expect(() => createSimSuite({ validatorErrorRates: [] })).toThrow(/validatorErrorRates/);
  });
});
