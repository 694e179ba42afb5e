export { startPostgres } from "./postgres-server.js";
export type { PostgresServer } from "./postgres-server.js";
