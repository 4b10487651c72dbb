import type { Pool, PoolClient } from 'pg';

/** A query text is prepared on a connection from its fifth run there, as the PostgreSQL JDBC driver does. */
export const PREPARE_THRESHOLD = 5;
/** Prepared statements per connection at most: dynamic SQL (IN lists of any length) must not grow it forever. */
export const MAX_PREPARED = 256;
// Texts counted towards the threshold at most; past it the counts start over, so one-off texts (IN lists
// of every length) cannot grow a connection's memory without bound.
const MAX_COUNTED = 1024;

/**
 * Server-side prepared statements for the queries a connection runs again and again. node-postgres sends
 * every parameterised query unnamed, so PostgreSQL parses and plans it each time; for the course page's
 * JSON-building query, planning costs more than running. Naming a statement lets the server keep its plan
 * for the connection's life. Queries without parameters (transaction control, migrations) stay as they are.
 */
export function cacheStatements(pool: Pool): void {
  pool.on('connect', (client: PoolClient) => {
    const runs = new Map<string, number>();
    const names = new Map<string, string>();
    const query = client.query.bind(client) as (...args: unknown[]) => unknown;
    (client as { query: unknown }).query = (text: unknown, values?: unknown, ...rest: unknown[]) => {
      if (typeof text !== 'string' || !Array.isArray(values) || values.length === 0)
        return query(text, values, ...rest);
      let name = names.get(text);
      if (!name && names.size < MAX_PREPARED) {
        if (runs.size >= MAX_COUNTED) runs.clear();
        const count = (runs.get(text) ?? 0) + 1;
        runs.set(text, count);
        if (count >= PREPARE_THRESHOLD) {
          name = `lms_${names.size}`;
          names.set(text, name);
          runs.delete(text);
        }
      }
      return name ? query({ name, text, values }, ...rest) : query(text, values, ...rest);
    };
  });
}
