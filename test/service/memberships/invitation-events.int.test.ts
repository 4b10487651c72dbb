import { randomUUID } from 'node:crypto';
import { COMPLIANCE_PROFILES } from '#contracts/compliance-profiles';
import { EVENTS } from '#contracts/resources';
import type { EventEnvelope } from '#contracts/platform-events';
import { coreEventHandlers } from '#service/events/handlers';
import { businessNumberFrom, serviceFixture, type Person, type ServiceFixture } from '../service-fixture';
import { expectStatus, snapshot } from '../world';

/*
 * The users domain made or found an invitee's Cognito account and said so on the bus (`users.invited`);
 * the core affiliates them with the inviter's rights as this database holds them, and states the
 * membership fact the users domain turns into a group.
 */

let f: ServiceFixture;
let companyManager: Person;
let institutionManager: Person;
let companyId: string;
let institutionId: string;
const warnings: { message: string; fields: object }[] = [];
let handle: (detail: object) => Promise<unknown>;

const call = (who: Person, method: 'POST' | 'DELETE', url: string, status: number, payload?: unknown) =>
  expectStatus(f.call(who, { method, url, ...(payload !== undefined ? { payload } : {}) }), status);

const invitation = (o: Record<string, string>) => ({
  eventId: `invite-${randomUUID()}`,
  occurredAt: new Date().toISOString(),
  email: 'kim@example.com',
  name: 'Kim',
  ...o,
});

beforeAll(async () => {
  f = await serviceFixture('invitation-events');
  companyManager = await f.person(['company-manager'], 'hr');
  institutionManager = await f.person(['institution-manager'], 'dean');
  companyId = (
    await call(companyManager, 'POST', '/companies', 201, {
      name: 'Company 1',
      ownerName: 'Park',
      businessNumber: businessNumberFrom('701820001'),
      email: 'hr@example.com',
      phone: '031-555-0101',
    })
  ).id;
  institutionId = (
    await call(institutionManager, 'POST', '/institutions', 201, {
      name: 'Academy 1',
      ownerName: 'Kim Minji',
      businessNumber: businessNumberFrom('801820001'),
      certificationNumber: 'CERT-1',
      contactEmail: 'office@academy.example.com',
      contactPhone: '02-1234-5678',
    })
  ).id;
  const handlers = coreEventHandlers(
    f.database.db,
    { warn: (message, fields) => warnings.push({ message, fields }) },
    { compliance: COMPLIANCE_PROFILES.standard },
  );
  handle = (detail) =>
    handlers['users.invited']!({
      id: randomUUID(),
      source: EVENTS.sources.users,
      'detail-type': 'users.invited',
      time: new Date().toISOString(),
      detail,
    } as EventEnvelope);
});
afterAll(() => f.close());
beforeEach(() => (warnings.length = 0));

describe('users.invited', () => {
  it('is one of the events the core consumes, from the users domain', () => {
    expect(EVENTS.coreConsumes['lms.users']).toEqual(['users.invited']);
  });

  it('affiliates an invited employee once, however often it arrives, and states the fact', async () => {
    const userSub = randomUUID();
    const event = invitation({ role: 'employee', companyId, userSub, invitedBy: companyManager.sub });
    await expect(handle(event)).resolves.toEqual({ outcome: 'applied' });
    await expect(handle(event)).resolves.toEqual({ outcome: 'applied' });
    const rows = await f.database.db
      .selectFrom('affiliations')
      .select(['role', 'state', 'email'])
      .where('company_id', '=', companyId)
      .where('user_sub', '=', userSub)
      .execute();
    expect(rows).toEqual([{ role: 'employee', state: 'approved', email: 'kim@example.com' }]);
    const facts = await f.database.db
      .selectFrom('outbox')
      .select(['type', 'payload'])
      .where('type', '=', 'company.member-set')
      .where(({ ref }) => ref('payload', '->>').key('userSub'), '=', userSub)
      .execute();
    expect(facts).toEqual([
      { type: 'company.member-set', payload: { companyId, userSub, role: 'employee' } },
      { type: 'company.member-set', payload: { companyId, userSub, role: 'employee' } },
    ]);
  });

  it('makes an invited instructor a member of the institution', async () => {
    const userSub = randomUUID();
    await expect(
      handle(invitation({ role: 'instructor', institutionId, userSub, invitedBy: institutionManager.sub })),
    ).resolves.toEqual({ outcome: 'applied' });
    const member = await f.database.db
      .selectFrom('institution_members')
      .select(['institution_id', 'role'])
      .where('user_sub', '=', userSub)
      .executeTakeFirst();
    expect(member).toEqual({ institution_id: institutionId, role: 'instructor' });
  });

  it('drops, with a warning and nothing written, an invitation its inviter may no longer make', async () => {
    const stranger = await f.person(['company-manager'], 'stranger');
    const after = await snapshot(f.database.db);
    const outcome = await handle(
      invitation({ role: 'employee', companyId, userSub: randomUUID(), invitedBy: stranger.sub }),
    );
    expect(outcome).toEqual({ outcome: 'refused', reason: 'Company not found' });
    expect(await snapshot(f.database.db)).toEqual(after);
    expect(warnings).toEqual([
      { message: 'invitation not applied', fields: expect.objectContaining({ invitedBy: stranger.sub }) },
    ]);
  });

  it('throws on a malformed one, so it ends in the dead-letter queue', async () => {
    await expect(handle({ role: 'employee', companyId })).rejects.toThrow();
  });
});
