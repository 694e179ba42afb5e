/** What LangChain v1's `createAgent` stamps on its agent's graph config (`metadata.ls_integration`). */
const CREATE_AGENT_INTEGRATION = "langchain_create_agent";

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null;
}

/** Whether a compiled graph was built by `createAgent`: its config carries createAgent's integration tag. */
function isCreateAgentGraph(value: unknown): boolean {
  if (!isRecord(value) || !("config" in value)) return false;
  const config = value["config"];
  const metadata = isRecord(config) ? config["metadata"] : undefined;
  return isRecord(metadata) && metadata["ls_integration"] === CREATE_AGENT_INTEGRATION;
}

/**
 * Whether `value` is a LangChain v1 `createAgent` agent (a `ReactAgent`: its
 * `options` and compiled `graph`) or that agent's compiled `.graph`. Read from
 * public fields only.
 */
export function isCreateAgent(value: unknown): boolean {
  if (!isRecord(value)) return false;
  if (isCreateAgentGraph(value)) return true;
  return "options" in value && "graph" in value && typeof value["invoke"] === "function" && isCreateAgentGraph(value["graph"]);
}

/** What withLearning says when given a createAgent agent. */
export const CREATE_AGENT_MESSAGE =
  "withLearning got a LangChain createAgent agent (or its .graph). Add lessonloop to it as a middleware instead: " +
  "createAgent({ model, tools, middleware: [lessonloopMiddleware(loop, { scope })] }) — the lessons then go into the agent's one system message " +
  "and each run is recorded when it ends. withLearning is for StateGraphs you build yourself (and the legacy createReactAgent).";
