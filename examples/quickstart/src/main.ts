import { runQuickstart } from "./quickstart.js";

// The outer edge: the only place that reads the environment.
await runQuickstart({ chromaUrl: process.env["CHROMA_URL"] || undefined });
