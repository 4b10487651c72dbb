import type { Role } from '#contracts/resources';

export interface DemoIdentity {
  readonly id: string;
  readonly sub: string;
  readonly email: string;
  readonly name: string;
  readonly roles: readonly Role[];
}

/** The people of the local demo; one per role, with stable subs so demo data can refer to them. */
export const DEMO_IDENTITIES: readonly DemoIdentity[] = [
  {
    id: 'admin',
    sub: '00000000-0000-4000-8000-000000000001',
    email: 'admin@platform.local',
    name: 'Platform Admin',
    roles: ['platform-admin'],
  },
  {
    id: 'manager',
    sub: '00000000-0000-4000-8000-000000000002',
    email: 'manager@institute.local',
    name: 'Institution Manager',
    roles: ['institution-manager'],
  },
  {
    id: 'instructor',
    sub: '00000000-0000-4000-8000-000000000003',
    email: 'instructor@institute.local',
    name: 'Instructor',
    roles: ['instructor'],
  },
  {
    id: 'company',
    sub: '00000000-0000-4000-8000-000000000004',
    email: 'hr@company.local',
    name: 'Company Manager',
    roles: ['company-manager'],
  },
  {
    id: 'learner',
    sub: '00000000-0000-4000-8000-000000000005',
    email: 'learner@company.local',
    name: 'Learner',
    roles: ['learner'],
  },
  {
    // A second employee, so a live lecture has more than one attendee in the demo.
    id: 'learner2',
    sub: '00000000-0000-4000-8000-000000000006',
    email: 'second.learner@company.local',
    name: 'Second Learner',
    roles: ['learner'],
  },
];
