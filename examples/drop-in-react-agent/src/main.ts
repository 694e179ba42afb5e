import { openAIModels, runDropInReactAgent, simulatedModels } from "./drop-in-react-agent.js";

// The outer edge: the only place that reads the environment. With an
// OpenAI-compatible endpoint configured, the same code runs on that model for the
// agent, the learner and the three peer validators; without one, on simulated models.
const model = process.env["LESSONLOOP_MODEL"] || undefined;
const apiKey = process.env["LESSONLOOP_OPENAI_API_KEY"] || undefined;
const baseURL = process.env["LESSONLOOP_OPENAI_BASE_URL"] || undefined;
const chromaUrl = process.env["CHROMA_URL"] || undefined;
// `pnpm start -- --legacy`: the same run on createReactAgent + withLearning.
const api = process.argv.includes("--legacy") ? "createReactAgent" : "createAgent";

await runDropInReactAgent({
  api,
  models: model === undefined ? simulatedModels() : openAIModels({ model, apiKey, baseURL }),
  chromaUrl,
  // A fresh memory on a shared server; the embedded one starts empty anyway.
  ...(chromaUrl === undefined ? {} : { memoryName: `drop-in-react-agent-${Date.now().toString(36)}` }),
});
