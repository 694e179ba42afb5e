// The small world of the Chroma-restart scenario: an agent that answers numbered
// tasks, an evaluator that fails the tasks marked "[fail]", a scripted learner that
// proposes one lesson per failed task, and peers whose replays pass only with it.
import { AIMessage } from "@langchain/core/messages";
import { END, MessagesAnnotation, START, StateGraph } from "@langchain/langgraph";
import { ScriptedChatModel, type ScriptedAnswer, type ScriptedCall } from "@lessonloop/core/testing";
import type { Evaluator } from "@lessonloop/critic";
import type { ReplayRunner, Validator } from "@lessonloop/validator-ensemble";

/** The text of task `index`; every `failEvery`-th task fails. */
export function restartTask(index: number, failEvery: number): string {
  return `Task ${index}: file the weekly report${index % failEvery === 0 ? " [fail]" : ""}`;
}

/** The agent: one model node that answers the task. */
export function createRestartAgent() {
  const model = new ScriptedChatModel({
    name: "restart-agent",
    responses: ({ messages }: ScriptedCall): ScriptedAnswer => `Filed: ${String(messages.at(-1)?.content ?? "")}`,
  });
  return new StateGraph(MessagesAnnotation)
    .addNode("model", async (state) => ({ messages: [new AIMessage(String((await model.invoke(state.messages)).content))] }))
    .addEdge(START, "model")
    .addEdge("model", END);
}

/** Fails the tasks marked "[fail]", passes the rest: the critic needs no model. */
export const restartEvaluator: Evaluator = (episode) =>
  episode.input.includes("[fail]") ? { passed: false, reason: "the report was rejected" } : { passed: true, reason: "the report was filed" };

/** Proposes one lesson named after the failed task; near-duplicates are "different". */
export function createRestartLearnerModel(): ScriptedChatModel {
  return new ScriptedChatModel({
    name: "restart-learner",
    responses: ({ tools, messages }: ScriptedCall): ScriptedAnswer => {
      const name = tools[0]?.name;
      if (name === "compare_lessons") return { structured: { relation: "different", reason: "another task" } };
      if (name !== "propose_lessons") return new Error(`unexpected call ${name ?? "without a tool"}`);
      const prompt = messages.map((message) => String(message.content)).join("\n");
      const task = /Task (\d+)/.exec(prompt)?.[1] ?? "unknown";
      return {
        structured: {
          lessons: [
            {
              trigger: `filing the weekly report number ${task}`,
              guidance: `Check report ${task} against the template before filing it.`,
              rationale: `report ${task} was rejected`,
              kind: "recovery",
              appliesTo: "agent",
            },
          ],
        },
      };
    },
  });
}

/** Three peers that replay deterministically: a case passes with the lesson and fails without it. */
export const restartValidators: Validator[] = [{ id: "peer-1" }, { id: "peer-2" }, { id: "peer-3" }];
export const restartRunner: ReplayRunner = { replay: async ({ lesson }) => ({ passed: lesson !== undefined }) };
