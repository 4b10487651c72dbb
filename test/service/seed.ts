import type { Kysely } from 'kysely';
import type { Database } from '#service/db/schema';
import type { Caller } from '#service/http/identity';
import { businessNumberFrom } from './service-fixture';

/**
 * An institution with one course of one chapter holding `videos` video contents, straight into the tables,
 * for tests of what happens after a course is built (building it is tested over HTTP elsewhere).
 */
export async function seedVideoCourse(
  db: Kysely<Database>,
  options: { videos: number; ready: boolean },
): Promise<{ institutionId: string; courseId: string; videoIds: string[] }> {
  const institution = await db
    .insertInto('institutions')
    .values({
      name: 'A',
      owner_name: 'B',
      business_number: '1234567891',
      certification_number: 'C',
      contact_email: 'a@example.com',
      contact_phone: '010-0000-0000',
      created_by: 'test',
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  const course = await db
    .insertInto('courses')
    .values({ institution_id: institution.id, title: 'Course', state: 'published' })
    .returning('id')
    .executeTakeFirstOrThrow();
  const chapter = await db
    .insertInto('chapters')
    .values({ course_id: course.id, title: 'One', position: 0 })
    .returning('id')
    .executeTakeFirstOrThrow();
  const videos = await db
    .insertInto('contents')
    .values(
      Array.from({ length: options.videos }, (_, i) => ({
        course_id: course.id,
        chapter_id: chapter.id,
        kind: 'video' as const,
        title: `Lesson ${i + 1}`,
        position: i,
        media_state: options.ready ? ('ready' as const) : ('pending' as const),
        duration_seconds: options.ready ? 600 : null,
      })),
    )
    .returning('id')
    .execute();
  return { institutionId: institution.id, courseId: course.id, videoIds: videos.map((v) => v.id) };
}

/** A company and its accepted provision of a seeded course for a period, seats for everyone. */
export async function seedProvision(
  db: Kysely<Database>,
  options: { institutionId: string; courseId: string; startsOn: string; endsOn: string },
): Promise<{ companyId: string; provisionId: string }> {
  const company = await db
    .insertInto('companies')
    .values({
      name: 'Co',
      owner_name: 'B',
      business_number: '2234567891',
      email: 'hr@example.com',
      phone: '0',
      created_by: 'test',
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  const provision = await db
    .insertInto('provisions')
    .values({
      company_id: company.id,
      course_id: options.courseId,
      institution_id: options.institutionId,
      starts_on: options.startsOn,
      ends_on: options.endsOn,
      attendee_count: 1000,
      deposit_amount: 0,
      state: 'accepted',
      requested_by: 'test',
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return { companyId: company.id, provisionId: provision.id };
}

/**
 * An institution straight into its table, named and numbered by `n` (a registration number valid for the
 * checksum; tests of one database pass a different `n` each time).
 */
export async function seedInstitution(db: Kysely<Database>, n: number): Promise<string> {
  const row = await db
    .insertInto('institutions')
    .values({
      name: `Academy ${n}`,
      owner_name: 'Owner',
      business_number: businessNumberFrom(String(700_000_000 + n)),
      certification_number: 'CERT',
      contact_email: `office${n}@academy.example.com`,
      contact_phone: '02-000-0000',
      created_by: 'seed',
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

/** A company straight into its table, numbered by `n` like seedInstitution; named `name`. */
export async function seedCompany(db: Kysely<Database>, n: number, name = `Company ${n}`): Promise<string> {
  const row = await db
    .insertInto('companies')
    .values({
      name,
      owner_name: 'Owner',
      business_number: businessNumberFrom(String(800_000_000 + n)),
      email: `hr${n}@company.example.com`,
      phone: '031-000-0000',
      created_by: 'seed',
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

/** A platform admin as the domain functions take their caller, for tests that call them without HTTP. */
export const platformAdmin = (sub: string): Caller => ({
  sub,
  email: undefined,
  roles: ['platform-admin'],
  institutionId: undefined,
  institutionRole: undefined,
  managedCompanyIds: [],
  employerCompanyIds: [],
  has: (role) => role === 'platform-admin',
});
