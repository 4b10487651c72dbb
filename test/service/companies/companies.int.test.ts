import { businessNumberFrom, serviceFixture, type Person, type ServiceFixture } from '../service-fixture';

let f: ServiceFixture;
let manager: Person;
let companyId: string;
let otherManager: Person;
let otherCompanyId: string;
const input = (nine: string, email: string) => ({
  name: 'Hanbit Logistics',
  ownerName: 'Park Jisoo',
  businessNumber: businessNumberFrom(nine),
  email,
  phone: '031-555-0101',
});
const affiliations = async () =>
  f.database.db
    .selectFrom('affiliations')
    .select(['company_id', 'user_sub', 'state'])
    .orderBy('user_sub')
    .execute();

async function register(who: Person, nine: string, email: string) {
  const res = await f.call(who, { method: 'POST', url: '/companies', payload: input(nine, email) });
  expect(res.statusCode).toBe(201);
  return res.json().id as string;
}

beforeAll(async () => {
  f = await serviceFixture('companies');
  manager = await f.person(['company-manager']);
  otherManager = await f.person(['company-manager']);
  companyId = await register(manager, '201810001', 'hr@hanbit.example.com');
  otherCompanyId = await register(otherManager, '201810002', 'hr@other.example.com');
});
afterAll(() => f.close());

describe('companies', () => {
  it('registers a company with its registrant as an approved manager', async () => {
    const res = await f.call(manager, { method: 'GET', url: `/companies/${companyId}` });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ name: 'Hanbit Logistics', email: 'hr@hanbit.example.com' });
  });

  it('refuses a duplicate e-mail or business number, a second company, and other roles, changing nothing', async () => {
    const before = await affiliations();
    const cases: [Person, ReturnType<typeof input>, number][] = [
      [await f.person(['company-manager']), input('201810003', 'hr@hanbit.example.com'), 409],
      [await f.person(['company-manager']), input('201810001', 'new@example.com'), 409],
      [manager, input('201810004', 'second@example.com'), 409],
      [await f.person(['learner']), input('201810005', 'l@example.com'), 403],
      [await f.person(['institution-manager']), input('201810006', 'i@example.com'), 403],
    ];
    for (const [who, body, status] of cases) {
      const res = await f.call(who, { method: 'POST', url: '/companies', payload: body });
      expect([res.statusCode, res.headers['content-type']]).toEqual([
        status,
        expect.stringMatching(/problem\+json/),
      ]);
    }
    expect(await affiliations()).toEqual(before);
  });

  it('lets a platform admin register a company for others, with no manager until they name one', async () => {
    const admin = await f.person(['platform-admin']);
    const before = await affiliations();
    const res = await f.call(admin, {
      method: 'POST',
      url: '/companies',
      payload: input('201810007', 'hr@admin-made.example.com'),
    });
    expect(res.statusCode).toBe(201);
    const id = res.json().id as string;
    expect(await affiliations()).toEqual(before);
    const named = await f.person(['company-manager']);
    const put = await f.call(admin, { method: 'PUT', url: `/companies/${id}/managers/${named.sub}` });
    expect(put.json()).toMatchObject({ userSub: named.sub, role: 'company-manager', state: 'approved' });
    const managers = await f.call(admin, { method: 'GET', url: `/companies/${id}/managers` });
    expect(managers.json()).toEqual([
      expect.objectContaining({ userSub: named.sub, role: 'company-manager' }),
    ]);
    // Only platform admins see who manages a company; one that does not exist is not found.
    expect((await f.call(named, { method: 'GET', url: `/companies/${id}/managers` })).statusCode).toBe(403);
    expect(
      (
        await f.call(admin, {
          method: 'GET',
          url: '/companies/00000000-0000-4000-8000-000000000000/managers',
        })
      ).statusCode,
    ).toBe(404);
    const second = await f.call(admin, {
      method: 'POST',
      url: '/companies',
      payload: input('201810008', 'hr@admin-made-2.example.com'),
    });
    expect(second.statusCode).toBe(201);
  });

  it('walks an employee from request to approval to removal', async () => {
    const learner = await f.person(['learner']);
    const join = await f.call(learner, { method: 'POST', url: `/companies/${companyId}/join-requests` });
    expect(join.statusCode).toBe(200);
    expect(join.json()).toMatchObject({ userSub: learner.sub, email: learner.email, state: 'requested' });
    // Asking again while the request is open changes nothing.
    const again = await f.call(learner, { method: 'POST', url: `/companies/${companyId}/join-requests` });
    expect(again.json().requestedAt).toBe(join.json().requestedAt);

    // Not yet an employee: the company stays invisible to them.
    expect((await f.call(learner, { method: 'GET', url: `/companies/${companyId}` })).statusCode).toBe(404);
    const requested = await f.call(manager, {
      method: 'GET',
      url: `/companies/${companyId}/employees?state=requested`,
    });
    expect(requested.json().map((e: { userSub: string }) => e.userSub)).toContain(learner.sub);

    const approve = `/companies/${companyId}/employees/${learner.sub}/approval`;
    expect((await f.call(manager, { method: 'PUT', url: approve })).json()).toMatchObject({
      state: 'approved',
    });
    expect((await f.call(manager, { method: 'PUT', url: approve })).statusCode).toBe(409);
    expect((await f.call(learner, { method: 'GET', url: `/companies/${companyId}` })).statusCode).toBe(200);
    // An employee sees the company but manages nothing in it.
    expect(
      (await f.call(learner, { method: 'PATCH', url: `/companies/${companyId}`, payload: { name: 'Mine' } }))
        .statusCode,
    ).toBe(403);
    expect(
      (await f.call(learner, { method: 'GET', url: `/companies/${companyId}/employees` })).statusCode,
    ).toBe(403);

    const remove = await f.call(manager, {
      method: 'DELETE',
      url: `/companies/${companyId}/employees/${learner.sub}`,
    });
    expect(remove.json()).toMatchObject({ state: 'removed' });
    expect((await f.call(learner, { method: 'GET', url: `/companies/${companyId}` })).statusCode).toBe(404);
    // Removed people may ask again.
    const rejoin = await f.call(learner, { method: 'POST', url: `/companies/${companyId}/join-requests` });
    expect(rejoin.json()).toMatchObject({ state: 'requested', decidedAt: null });
  });

  it('keeps each company’s people to its own managers', async () => {
    const learner = await f.person(['learner']);
    await f.call(learner, { method: 'POST', url: `/companies/${companyId}/join-requests` });
    const before = await affiliations();
    const foreign = [
      { method: 'GET', url: `/companies/${companyId}` },
      { method: 'PATCH', url: `/companies/${companyId}`, payload: { name: 'Hijacked' } },
      { method: 'GET', url: `/companies/${companyId}/employees` },
      { method: 'PUT', url: `/companies/${companyId}/employees/${learner.sub}/approval` },
      { method: 'DELETE', url: `/companies/${companyId}/employees/${learner.sub}` },
    ] as const;
    for (const request of foreign) {
      expect([request.method, request.url, (await f.call(otherManager, request)).statusCode]).toEqual([
        request.method,
        request.url,
        404,
      ]);
    }
    expect(await affiliations()).toEqual(before);
    // Their own company is theirs.
    expect(
      (await f.call(otherManager, { method: 'GET', url: `/companies/${otherCompanyId}/employees` }))
        .statusCode,
    ).toBe(200);
    // A manager cannot be removed as if an employee.
    expect(
      (await f.call(manager, { method: 'DELETE', url: `/companies/${companyId}/employees/${manager.sub}` }))
        .statusCode,
    ).toBe(404);
  });

  it('lets only learners ask to join, and only existing companies', async () => {
    expect(
      (
        await f.call(await f.person(['instructor']), {
          method: 'POST',
          url: `/companies/${companyId}/join-requests`,
        })
      ).statusCode,
    ).toBe(403);
    const unknown = '00000000-0000-4000-8000-000000000000';
    expect(
      (
        await f.call(await f.person(['learner']), {
          method: 'POST',
          url: `/companies/${unknown}/join-requests`,
        })
      ).statusCode,
    ).toBe(404);
  });

  it.each([
    ['an unknown state filter', '?state=fired', 'query.state'],
    ['a limit above the cap', '?limit=5000', 'query.limit'],
    ['an unknown parameter', '?page=2', 'query.page'],
  ])('refuses %s, naming the field', async (_what, query, field) => {
    const res = await f.call(manager, { method: 'GET', url: `/companies/${companyId}/employees${query}` });
    expect(res.statusCode).toBe(400);
    expect(res.json().errors).toEqual([expect.objectContaining({ field })]);
  });
});
