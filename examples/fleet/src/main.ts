import { runFleet } from "./fleet.js";

// The outer edge: the only place that reads the environment. DATABASE_URL and CHROMA_URL
// point the fleet at servers you run; without them it starts its own.
await runFleet({ databaseUrl: process.env["DATABASE_URL"] || undefined, chromaUrl: process.env["CHROMA_URL"] || undefined });
