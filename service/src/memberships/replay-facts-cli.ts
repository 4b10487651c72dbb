import { CORE_SERVICE } from '#contracts/resources';
import { connectPostgres } from '../db/connect';
import { replayMembershipFacts } from './replay-facts';

/*
 * `npm run replay-membership-facts`: what POST /admin/membership-facts does, from a machine that reaches
 * the database, with the connection string the service reads when it runs outside AWS (DATABASE_URL), as
 * main.ts does. The database's owner or the service's role will do. Embedded PGlite lives in the process
 * that made it, so there is nothing to replay without a server.
 */
async function main() {
  const url = process.env[CORE_SERVICE.env.databaseUrl];
  if (!url) throw new Error(`Set ${CORE_SERVICE.env.databaseUrl} to the core service's database`);
  const db = connectPostgres({ connectionString: url, maxConnections: 1 });
  try {
    const counts = await replayMembershipFacts(db);
    console.log(JSON.stringify(counts));
  } finally {
    await db.destroy();
  }
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
