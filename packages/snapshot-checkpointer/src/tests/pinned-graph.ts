import { Annotation, END, START, StateGraph } from "@langchain/langgraph";
import type { BaseCheckpointSaver } from "@langchain/langgraph-checkpoint";
import { type LessonMemory, type MemoryPin } from "@lessonloop/core";
import { MEMORY_PIN_KEY } from "@lessonloop/core/internal";

/** A question-and-answer state that carries the memory pin, as a graph with the replay-retriever does. */
export const State = Annotation.Root({
  question: Annotation<string>(),
  answer: Annotation<string>(),
  [MEMORY_PIN_KEY]: Annotation<MemoryPin | undefined>({ reducer: (_previous, next) => next, default: () => undefined }),
});
export type StateValue = typeof State.State;

/**
 * The user's graph with a stand-in for the replay-retriever in front: it pins the
 * live version on a run's first step and keeps the pin while the question is the
 * same. The agent answers with the lessons of the pinned version, so the answer
 * shows which version a run used.
 */
export function pinnedGraph(memory: LessonMemory, checkpointer: BaseCheckpointSaver) {
  return new StateGraph(State)
    .addNode("retrieve", async (state: StateValue) => {
      const pin = state[MEMORY_PIN_KEY];
      if (pin !== undefined && pin.input === state.question) return {};
      return { [MEMORY_PIN_KEY]: { version: await memory.headVersion(), input: state.question } };
    })
    .addNode("agent", async (state: StateValue) => {
      const lessons = await memory.list({ version: state[MEMORY_PIN_KEY]?.version ?? 0 });
      return { answer: `${state.question} with ${lessons.map((lesson) => lesson.id).sort().join(",")}` };
    })
    .addEdge(START, "retrieve")
    .addEdge("retrieve", "agent")
    .addEdge("agent", END)
    .compile({ checkpointer });
}
