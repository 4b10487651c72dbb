import { sql } from 'kysely';
import { connectPostgres } from '#service/db/connect';
import { MAX_PREPARED, PREPARE_THRESHOLD } from '#service/db/statement-cache';
import { testDatabase, type TestDatabase } from '../test-database';

let t: TestDatabase;
beforeAll(async () => {
  t = await testDatabase('statement_cache', { migrate: false });
});
afterAll(() => t.close());

describe('prepared-statement cache', () => {
  it('prepares a query on a connection from its fifth run, and at most the cap of them', async () => {
    // The cache lives in the pg pool; PGlite has no pool and plans in-process.
    if (t.kind !== 'postgres') return;
    const db = connectPostgres({ connectionString: t.url!, maxConnections: 1 });
    try {
      const prepared = async () =>
        (await sql<{ statement: string }>`select statement from pg_prepared_statements`.execute(db)).rows.map(
          (r) => r.statement,
        );
      const probe = (n: number) => sql<{ v: number }>`select ${n}::int + 1 as v`.execute(db);
      for (let i = 1; i < PREPARE_THRESHOLD; i++) expect((await probe(i)).rows[0]!.v).toBe(i + 1);
      expect(await prepared()).toEqual([]);
      expect((await probe(41)).rows[0]!.v).toBe(42);
      expect(await prepared()).toEqual(['select $1::int + 1 as v']);

      for (let i = 0; i < MAX_PREPARED + 10; i++)
        for (let run = 0; run < PREPARE_THRESHOLD; run++)
          await sql`select ${run}::int as ${sql.id(`c${i}`)}`.execute(db);
      expect(await prepared()).toHaveLength(MAX_PREPARED);
    } finally {
      await db.destroy();
    }
  });
});
