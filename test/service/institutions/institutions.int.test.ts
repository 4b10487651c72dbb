import { businessNumberFrom, serviceFixture, type Person, type ServiceFixture } from '../service-fixture';

let f: ServiceFixture;
let manager: Person;
let institutionId: string;
const input = (nine: string) => ({
  name: 'Seoul Safety Academy',
  ownerName: 'Kim Minji',
  businessNumber: businessNumberFrom(nine),
  certificationNumber: 'CERT-2026-001',
  contactEmail: 'office@academy.example.com',
  contactPhone: '02-1234-5678',
});
const count = async () =>
  Number(
    (
      await f.database.db
        .selectFrom('institutions')
        .select((eb) => eb.fn.countAll().as('n'))
        .executeTakeFirstOrThrow()
    ).n,
  );

beforeAll(async () => {
  f = await serviceFixture('institutions');
  manager = await f.person(['institution-manager']);
  const res = await f.call(manager, { method: 'POST', url: '/institutions', payload: input('123456789') });
  expect(res.statusCode).toBe(201);
  institutionId = res.json().id;
});
afterAll(() => f.close());

describe('institutions', () => {
  it('registers an institution and makes its registrant a manager', async () => {
    const res = await f.call(manager, { method: 'GET', url: `/institutions/${institutionId}` });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      name: 'Seoul Safety Academy',
      businessNumber: businessNumberFrom('123456789'),
    });
    const member = await f.database.db
      .selectFrom('institution_members')
      .selectAll()
      .where('user_sub', '=', manager.sub)
      .executeTakeFirst();
    expect(member).toMatchObject({ institution_id: institutionId, role: 'institution-manager' });
  });

  it('accepts the hyphenated form of a business number', async () => {
    const other = await f.person(['institution-manager']);
    const n = businessNumberFrom('220812345');
    const res = await f.call(other, {
      method: 'POST',
      url: '/institutions',
      payload: { ...input('000000000'), businessNumber: `${n.slice(0, 3)}-${n.slice(3, 5)}-${n.slice(5)}` },
    });
    expect(res.statusCode).toBe(201);
    expect(res.json().businessNumber).toBe(n);
  });

  it.each([
    ['a second institution by the same manager', () => manager, '987654321', 409],
    ['a business number already registered', () => undefined, '123456789', 409],
  ])('refuses %s and changes nothing', async (_what, who, nine, status) => {
    const person = who() ?? (await f.person(['institution-manager']));
    const before = await count();
    const res = await f.call(person, { method: 'POST', url: '/institutions', payload: input(nine) });
    expect(res.statusCode).toBe(status);
    expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(await count()).toBe(before);
  });

  it.each([
    ['learner', 403],
    ['instructor', 403],
    ['company-manager', 403],
  ] as const)('refuses registration by a %s', async (role, status) => {
    const before = await count();
    const res = await f.call(await f.person([role]), {
      method: 'POST',
      url: '/institutions',
      payload: input('111111111'),
    });
    expect(res.statusCode).toBe(status);
    expect(await count()).toBe(before);
  });

  it('lets a platform admin register an institution for others, with no member until they name its manager', async () => {
    const admin = await f.person(['platform-admin']);
    const res = await f.call(admin, { method: 'POST', url: '/institutions', payload: input('444444444') });
    expect(res.statusCode).toBe(201);
    const id = res.json().id as string;
    const members = () => f.call(admin, { method: 'GET', url: `/institutions/${id}/members` });
    expect((await members()).json()).toEqual([]);
    const named = await f.person(['institution-manager']);
    const put = await f.call(admin, { method: 'PUT', url: `/institutions/${id}/managers/${named.sub}` });
    expect(put.statusCode).toBe(200);
    expect((await members()).json()).toEqual([expect.objectContaining({ userSub: named.sub })]);
    // The admin registers for others as often as needed: they belong to none of them.
    const again = await f.call(admin, { method: 'POST', url: '/institutions', payload: input('555555555') });
    expect(again.statusCode).toBe(201);
  });

  it('lists the institutions and their managers for platform admins only, a page at a time', async () => {
    const admin = await f.person(['platform-admin']);
    const all: { id: string; name: string; managerSubs: string[] }[] = [];
    let cursor: string | undefined;
    do {
      const res = await f.call(admin, {
        method: 'GET',
        url: `/institutions?limit=1${cursor ? `&cursor=${cursor}` : ''}`,
      });
      expect(res.statusCode).toBe(200);
      const page = res.json() as { institutions: typeof all; cursor?: string };
      expect(page.institutions.length).toBeLessThanOrEqual(1);
      all.push(...page.institutions);
      cursor = page.cursor;
    } while (cursor);
    expect(all.length).toBe(await count());
    expect(all.map((i) => i.name)).toEqual([...all.map((i) => i.name)].sort());
    expect(all.find((i) => i.id === institutionId)?.managerSubs).toEqual([manager.sub]);
    for (const role of ['institution-manager', 'instructor', 'company-manager', 'learner'] as const) {
      expect((await f.call(await f.person([role]), { method: 'GET', url: '/institutions' })).statusCode).toBe(
        403,
      );
    }
    const bad = await f.call(admin, { method: 'GET', url: '/institutions?cursor=bm90LWEtY3Vyc29y' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().errors[0].field).toBe('query.cursor');
    const tooMany = await f.call(admin, { method: 'GET', url: '/institutions?limit=101' });
    expect(tooMany.json().errors[0].field).toBe('query.limit');
  });

  it('answers 401 to a caller without a valid token before looking at the input', async () => {
    const res = await f.call(undefined, { method: 'POST', url: '/institutions', payload: {} });
    expect(res.statusCode).toBe(401);
    expect(res.json()).not.toHaveProperty('errors');
  });

  it('answers 401 without a token or with a forged one', async () => {
    expect(
      (await f.call(undefined, { method: 'GET', url: `/institutions/${institutionId}` })).statusCode,
    ).toBe(401);
    const forged = { ...manager, token: `${manager.token.slice(0, -6)}AAAAAA` };
    expect((await f.call(forged, { method: 'GET', url: `/institutions/${institutionId}` })).statusCode).toBe(
      401,
    );
  });

  it.each([
    ['a missing field', (b: Record<string, unknown>) => delete b.ownerName, 'body.ownerName'],
    ['a wrong type', (b: Record<string, unknown>) => (b.name = 42), 'body.name'],
    ['an oversized string', (b: Record<string, unknown>) => (b.name = 'x'.repeat(201)), 'body.name'],
    [
      'a bad check digit',
      (b: Record<string, unknown>) => (b.businessNumber = '1234567890'),
      'body.businessNumber',
    ],
    ['a bad e-mail', (b: Record<string, unknown>) => (b.contactEmail = 'office'), 'body.contactEmail'],
    ['an unknown field', (b: Record<string, unknown>) => (b.role = 'admin'), 'body.role'],
  ])('refuses %s, naming the field, and changes nothing', async (_what, edit, field) => {
    const body: Record<string, unknown> = input('333333333');
    edit(body);
    const before = await count();
    const res = await f.call(await f.person(['institution-manager']), {
      method: 'POST',
      url: '/institutions',
      payload: body,
    });
    expect(res.statusCode).toBe(400);
    expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(res.json().errors).toEqual(expect.arrayContaining([expect.objectContaining({ field })]));
    expect(await count()).toBe(before);
  });

  it('hides an institution from everyone but its people and platform admins', async () => {
    const url = `/institutions/${institutionId}`;
    expect((await f.call(await f.person(['platform-admin']), { method: 'GET', url })).statusCode).toBe(200);
    for (const role of ['learner', 'company-manager', 'institution-manager', 'instructor'] as const) {
      expect((await f.call(await f.person([role]), { method: 'GET', url })).statusCode).toBe(404);
    }
    expect(
      (await f.call(manager, { method: 'GET', url: '/institutions/00000000-0000-4000-8000-000000000000' }))
        .statusCode,
    ).toBe(404);
    const bad = await f.call(manager, { method: 'GET', url: '/institutions/not-a-uuid' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().errors[0].field).toBe('path.institutionId');
  });

  it('lets its managers, not its instructors or strangers, edit the profile', async () => {
    const instructor = await f.person(['instructor']);
    await f.database.db
      .insertInto('institution_members')
      .values({ institution_id: institutionId, user_sub: instructor.sub, role: 'instructor' })
      .execute();
    const url = `/institutions/${institutionId}`;
    expect(
      (await f.call(instructor, { method: 'PATCH', url, payload: { name: 'Taken Over' } })).statusCode,
    ).toBe(403);
    expect(
      (
        await f.call(await f.person(['institution-manager']), {
          method: 'PATCH',
          url,
          payload: { name: 'Taken Over' },
        })
      ).statusCode,
    ).toBe(404);
    expect((await f.call(manager, { method: 'PATCH', url, payload: {} })).statusCode).toBe(400);
    const res = await f.call(manager, { method: 'PATCH', url, payload: { contactPhone: '02-9999-0000' } });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ name: 'Seoul Safety Academy', contactPhone: '02-9999-0000' });
  });
});
