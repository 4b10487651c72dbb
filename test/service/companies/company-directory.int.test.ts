import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { directoryQuery } from '#service/companies/companies';
import { serviceFixture, type Person, type ServiceFixture } from '../service-fixture';
import { expectStatus, type Json } from '../world';

/*
 * The company directory learners search to find their employer: names by any part, whatever the case, in
 * name order a page at a time, showing ids and names only; and the index the search runs on.
 */

let f: ServiceFixture;
let learner: Person;

const NAMES = ['Hanbit Logistics', 'HANBIT Steel', 'Daehan Shipping', 'Sejong Hanbit Foods', '50%_Off Ltd'];

beforeAll(async () => {
  f = await serviceFixture('company-directory');
  learner = await f.person(['learner']);
  await f.database.db
    .insertInto('companies')
    .values(
      NAMES.map((name, i) => ({
        name,
        owner_name: 'Owner',
        business_number: String(1000000000 + i),
        email: `hr${i}@example.com`,
        phone: '02-000-0000',
        created_by: 'seed',
      })),
    )
    .execute();
});
afterAll(() => f.close());

const page = (query: string): Promise<Json> =>
  expectStatus(f.call(learner, { method: 'GET', url: `/companies?${query}` }), 200);

describe('the company directory', () => {
  it('finds companies by any part of their name, whatever its case, ids and names only', async () => {
    const found = await page('search=hanbit');
    // In the order of the database's collation, which the paging test holds pages to.
    expect(found.companies.map((c: Json) => c.name).sort()).toEqual(
      ['HANBIT Steel', 'Hanbit Logistics', 'Sejong Hanbit Foods'].sort(),
    );
    for (const c of found.companies) expect(Object.keys(c).sort()).toEqual(['id', 'name']);
    expect(found.cursor).toBeUndefined();
  });

  it('takes LIKE’s wildcards in a search literally', async () => {
    expect((await page('search=%25_')).companies.map((c: Json) => c.name)).toEqual(['50%_Off Ltd']);
    expect((await page('search=_')).companies.map((c: Json) => c.name)).toEqual(['50%_Off Ltd']);
  });

  it('goes through every company a page at a time, each once', async () => {
    const names: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const p = await page(`limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      names.push(...p.companies.map((c: Json) => c.name));
      cursor = p.cursor;
      pages += 1;
    } while (cursor);
    expect(pages).toBe(3);
    expect([...names].sort()).toEqual([...NAMES].sort());
    const all = await f.database.db
      .selectFrom('companies')
      .select('name')
      .orderBy('name')
      .orderBy('id')
      .execute();
    expect(names).toEqual(all.map((c) => c.name));
  });

  it('refuses a cursor it did not give out, naming it', async () => {
    for (const cursor of ['not-a-cursor', Buffer.from(JSON.stringify(['x', 'y'])).toString('base64url')]) {
      const res = await f.call(learner, { method: 'GET', url: `/companies?cursor=${cursor}` });
      expect(res.statusCode).toBe(400);
      expect(res.json().errors).toEqual([{ field: 'query.cursor', message: expect.any(String) }]);
    }
    const nul = Buffer.from(JSON.stringify(['a\u0000b', randomUUID()])).toString('base64url');
    expect((await f.call(learner, { method: 'GET', url: `/companies?cursor=${nul}` })).statusCode).toBe(400);
  });

  it('searches with the trigram index once there are companies enough for the planner to want it', async () => {
    // Many companies, analysed, as a directory in use would have: the planner then picks the index itself.
    await sql`insert into companies (name, owner_name, business_number, email, phone, created_by)
      select 'Company ' || md5(i::text), 'Owner', (2000000000 + i)::text, 'c' || i || '@example.com', '02-0', 'seed'
      from generate_series(1, 20000) i`.execute(f.database.db);
    await sql`analyze companies`.execute(f.database.db);
    const plan = async (query: Parameters<typeof directoryQuery>[1]) =>
      (await directoryQuery(f.database.db, query).explain()).map((r) => String(r['QUERY PLAN'])).join('\n');
    expect(await plan({ search: 'hanbit', limit: 20 })).toMatch(/Bitmap Index Scan on companies_name_trgm/);
    // With no search, pages follow the (name, id) btree from the cursor on.
    expect(await plan({ limit: 20, after: ['Company 5', randomUUID()] })).toMatch(
      /Index (Only )?Scan using companies_name on companies/,
    );
    expect((await page('search=hanbit')).companies).toHaveLength(3);
  });
});
