/**
 * @lessonloop/queue-pg — the shared, durable episode queue of a lessonloop
 * fleet on PostgreSQL (pg-boss). See README.md.
 */
export { createPgEpisodeQueue } from "./pg-episode-queue.js";
