import { ChatOpenAI } from "@langchain/openai";
import { runHumanApproval } from "./human-approval.js";

// The outer edge: the only place that reads the environment.
const baseURL = process.env["LESSONLOOP_OPENAI_BASE_URL"];
const apiKey = process.env["LESSONLOOP_OPENAI_API_KEY"];
const model = process.env["LESSONLOOP_MODEL"];
const validatorModels =
  baseURL && apiKey && model ? [new ChatOpenAI({ model, apiKey, configuration: { baseURL }, temperature: 0 })] : undefined;

await runHumanApproval({ chromaUrl: process.env["CHROMA_URL"] || undefined, validatorModels });
