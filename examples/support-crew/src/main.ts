import { ChatOpenAI } from "@langchain/openai";
import { runSupportCrew } from "./support-crew.js";

// The outer edge: the only place that reads the environment.
const baseURL = process.env["LESSONLOOP_OPENAI_BASE_URL"] || undefined;
const apiKey = process.env["LESSONLOOP_OPENAI_API_KEY"] || undefined;
const modelName = process.env["LESSONLOOP_MODEL"] || undefined;

const model =
  modelName === undefined ? undefined : new ChatOpenAI({ model: modelName, apiKey: apiKey ?? "not-needed", configuration: { baseURL } });

await runSupportCrew({ chromaUrl: process.env["CHROMA_URL"] || undefined, model });
