import { businessNumberFrom, serviceFixture, type Person, type ServiceFixture } from '../service-fixture';
import { expectStatus } from '../world';

/* GET /me/memberships: where the caller belongs, with their role, and nobody else's places. */

let f: ServiceFixture;
let manager: Person;
let instructor: Person;
let companyManager: Person;
let employee: Person;
let institutionId: string;
let companies: { id: string; name: string }[];

const call = (
  who: Person,
  method: 'GET' | 'POST' | 'PUT' | 'DELETE',
  url: string,
  status: number,
  payload?: unknown,
) => expectStatus(f.call(who, { method, url, ...(payload !== undefined ? { payload } : {}) }), status);

beforeAll(async () => {
  f = await serviceFixture('memberships');
  manager = await f.person(['institution-manager'], 'manager');
  instructor = await f.person(['instructor'], 'instructor');
  companyManager = await f.person(['company-manager'], 'company');
  employee = await f.person(['learner'], 'employee');
  institutionId = (
    await call(manager, 'POST', '/institutions', 201, {
      name: 'Seoul Safety Academy',
      ownerName: 'Kim',
      businessNumber: businessNumberFrom('901810001'),
      certificationNumber: 'CERT-1',
      contactEmail: 'office@academy.example.com',
      contactPhone: '02-1234-5678',
    })
  ).id;
  await call(manager, 'PUT', `/institutions/${institutionId}/members/${instructor.sub}`, 200, {
    role: 'instructor',
  });
  companies = [];
  for (const [i, name] of ['Hanbit Logistics', 'Daehan Shipping'].entries()) {
    const who = i === 0 ? companyManager : await f.person(['company-manager']);
    const { id } = await call(who, 'POST', '/companies', 201, {
      name,
      ownerName: 'Park',
      businessNumber: businessNumberFrom(`90181001${i + 2}`),
      email: `hr${i}@example.com`,
      phone: '031-555-0101',
    });
    companies.push({ id, name });
  }
  await call(companyManager, 'PUT', `/companies/${companies[0]!.id}/employees/${employee.sub}`, 200, {
    email: employee.email,
  });
  await call(employee, 'POST', `/companies/${companies[1]!.id}/join-requests`, 200);
});
afterAll(() => f.close());

describe('GET /me/memberships', () => {
  it('gives an institution’s people their institution and role', async () => {
    for (const [who, role] of [
      [manager, 'institution-manager'],
      [instructor, 'instructor'],
    ] as const)
      expect(await call(who, 'GET', '/me/memberships', 200)).toEqual({
        institution: { id: institutionId, name: 'Seoul Safety Academy', role },
        companies: [],
      });
  });

  it('gives a company’s people each company by name, with their role and state', async () => {
    const [hanbit, daehan] = companies as [{ id: string; name: string }, { id: string; name: string }];
    expect(await call(companyManager, 'GET', '/me/memberships', 200)).toEqual({
      institution: null,
      companies: [{ ...hanbit, role: 'company-manager', state: 'approved' }],
    });
    expect(await call(employee, 'GET', '/me/memberships', 200)).toEqual({
      institution: null,
      companies: [
        { ...daehan, role: 'employee', state: 'requested' },
        { ...hanbit, role: 'employee', state: 'approved' },
      ],
    });
    await call(employee, 'DELETE', `/me/memberships/companies/${hanbit.id}`, 204);
    expect((await call(employee, 'GET', '/me/memberships', 200)).companies).toEqual([
      { ...daehan, role: 'employee', state: 'requested' },
      { ...hanbit, role: 'employee', state: 'removed' },
    ]);
  });

  it('gives someone who belongs nowhere nothing', async () => {
    for (const roles of [['learner'], ['platform-admin'], []] as const)
      expect(await call(await f.person([...roles]), 'GET', '/me/memberships', 200)).toEqual({
        institution: null,
        companies: [],
      });
  });
});
