import { CORE_SERVICE } from '#contracts/resources';
import { connectPostgres } from '../db/connect';
import { rebuildAnalytics } from './rebuild';

/*
 * `npm run analytics:rebuild`: recomputes enrollments.first_activity_at and the analytics' counts from the
 * facts, with the connection string the service reads when it runs outside AWS (DATABASE_URL). Prints how
 * many enrollments and aggregate rows changed: 0 everywhere when the triggers kept them right.
 */
async function main() {
  const url = process.env[CORE_SERVICE.env.databaseUrl];
  if (!url) throw new Error(`Set ${CORE_SERVICE.env.databaseUrl} to the core service's database`);
  const db = connectPostgres({ connectionString: url, maxConnections: 1 });
  try {
    console.log(JSON.stringify(await rebuildAnalytics(db), null, 2));
  } finally {
    await db.destroy();
  }
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
