// The fleet's world, shared by the fleet test (fleet.int.test.ts), its agent and worker
// processes (fleet-agent.ts, fleet-worker.ts) and the fleet bench: invoice tasks, one a
// customer, that always fail (the agent here never reads lessons: every acknowledged
// episode is a failure that teaches exactly one lesson, its own), scripted models with a
// fixed latency, and the JSON lines the processes print.
import { ScriptedChatModel, type ScriptedAnswer, type ScriptedCall } from "@lessonloop/core/testing";
import type { BaseMessage } from "@langchain/core/messages";
import type { ProposedLesson } from "@lessonloop/learner";
import { AGENT_DESCRIPTION, ROLE_PLAY_TOOLS, billingEvaluator, decide } from "./invoice-world.js";

export { regressionCases } from "./invoice-world.js";

/** The task of run `run` of agent `agent`: its customer names the run. */
export function fleetTask(agent: number, run: number): string {
  return `Create an invoice for C${agent}x${run} of 12.50 EUR`;
}

/** The customer a lesson's trigger names: one lesson an episode. */
export function customerOf(text: string): string | undefined {
  return /for (C\d+x\d+)/.exec(text)?.[1];
}

function text(message: BaseMessage): string {
  return typeof message.content === "string" ? message.content : JSON.stringify(message.content);
}

/** The agent's model: ignores lessons, so every run sends euros and fails. */
export function createFleetAgentModel(): ScriptedChatModel {
  return new ScriptedChatModel({
    name: "fleet-agent",
    responses: ({ messages }: ScriptedCall): ScriptedAnswer => {
      const last = messages.at(-1);
      if (last?.getType() === "tool") return `I could not do it: ${text(last)}`;
      const task = [...messages].reverse().find((message) => message.getType() === "human");
      const decision = decide(task === undefined ? "" : text(task), "");
      return "answer" in decision ? decision.answer : { toolCalls: [{ name: decision.name, args: decision.args }] };
    },
  });
}

/** The learner: a lesson whose trigger names the episode's customer (so each episode's lesson is its own). */
export function createFleetLearnerModel(latencyMs: number): ScriptedChatModel {
  return new ScriptedChatModel({
    name: "fleet-learner",
    latencyMs,
    responses: ({ tools, messages }: ScriptedCall): ScriptedAnswer => {
      const name = tools[0]?.name;
      if (name === "propose_lessons") {
        const customer = customerOf(messages.map(text).join("\n")) ?? "unknown";
        const lesson: ProposedLesson = {
          trigger: `Creating an invoice for ${customer} with create_invoice`,
          guidance: "Send amount_cents, the amount in integer cents, instead of amount in euros for every invoice.",
          rationale: "create_invoice rejected `amount`; it now takes amount_cents.",
          kind: "recovery",
          appliesTo: "agent",
        };
        return { structured: { lessons: [lesson] } };
      }
      if (name === "compare_lessons") return { structured: { relation: "different", reason: "another customer" } };
      return new Error(`the fleet learner got an unexpected call (${name ?? "no tool"})`);
    },
  });
}

/**
 * A peer validator's model for the role-play runner: it plays the agent, which
 * sends cents only when a lesson in its prompt names the task's customer (so
 * one customer's lesson fixes that customer's case alone), and judges rubrics
 * by whether the decision sends `amount_cents`.
 */
export function createFleetPeerModel(name: string, latencyMs: number): ScriptedChatModel {
  return new ScriptedChatModel({
    name,
    latencyMs,
    responses: ({ tools, messages }: ScriptedCall): ScriptedAnswer => {
      const toolName = tools[0]?.name;
      const human = text(messages.at(-1) as BaseMessage);
      if (toolName === "agent_decision") {
        const system = messages.find((message) => message.getType() === "system");
        // Every lesson in the prompt counts, the candidate's and those memory serves alike.
        const lessonText = system === undefined ? "" : text(system);
        const task = /Task:\n([\s\S]*?)\n\nWhat is the agent's next step\?/.exec(human)?.[1] ?? "";
        const customer = customerOf(task);
        const decision = decide(task, customer !== undefined && lessonText.includes(customer) ? lessonText : "");
        return "answer" in decision
          ? { structured: { action: "answer", answer: decision.answer } }
          : { structured: { action: "tool_call", tool: decision.name, args: decision.args } };
      }
      if (toolName === "rubric_judgement") {
        const passed = /amount_cents/.test(human.slice(human.indexOf("The agent's decision:"), human.indexOf("Rubric:")));
        return { structured: { passed, reason: passed ? "the invoice is sent in cents" : "the invoice would fail again" } };
      }
      return new Error(`peer ${name} got an unexpected call (${toolName ?? "no tool"})`);
    },
  });
}

/** Loop params of every fleet process (the agents' loops only read memory); `peers` are the validators' models, whose calls show validation under way. */
export function fleetLoopParams({ latencyMs }: { latencyMs: number }) {
  const peers = [createFleetPeerModel("peer-a", latencyMs), createFleetPeerModel("peer-b", latencyMs), createFleetPeerModel("peer-c", latencyMs)];
  return {
    peers,
    params: {
      learnerModel: createFleetLearnerModel(latencyMs),
      validatorModels: peers,
      criticModel: null,
      evaluator: billingEvaluator,
      agentDescription: AGENT_DESCRIPTION,
      tools: ROLE_PLAY_TOOLS,
      logVerdicts: "off" as const,
    },
  };
}

/** One JSON line on stdout: how the fleet's processes talk to the test. */
export function say(line: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify(line)}\n`);
}
