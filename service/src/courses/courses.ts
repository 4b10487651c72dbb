import { type Kysely, sql } from 'kysely';
import type { Role } from '#contracts/resources';
import type { Identity } from '#contracts/access-token';
import type { Database } from '../db/schema';
import { HttpError } from '../http/errors';
import { type Caller, notFound } from '../http/identity';

export interface CourseInput {
  readonly title: string;
  readonly introduction?: string | undefined;
  readonly instructorSub?: string | null | undefined;
  readonly coverImageUrl?: string | null | undefined;
}

const courseColumns = [
  'id',
  'institution_id as institutionId',
  'title',
  'introduction',
  'instructor_sub as instructorSub',
  'cover_image_url as coverImageUrl',
  'state',
  'created_at as createdAt',
  'updated_at as updatedAt',
] as const;

/** Only the owning institution's managers and instructors build its courses. */
export function assertAuthor(caller: Caller, institutionId: string): void {
  if (caller.institutionId !== institutionId) throw notFound('Course');
}

export async function courseRow(db: Kysely<Database>, id: string) {
  const course = await db.selectFrom('courses').select(courseColumns).where('id', '=', id).executeTakeFirst();
  if (!course) throw notFound('Course');
  return course;
}

/** A course's instructor teaches at its institution. */
async function assertInstructor(db: Kysely<Database>, institutionId: string, sub: string | null | undefined) {
  if (!sub) return;
  const member = await db
    .selectFrom('institution_members')
    .select('user_sub')
    .where('institution_id', '=', institutionId)
    .where('user_sub', '=', sub)
    .executeTakeFirst();
  if (!member)
    throw new HttpError(400, 'Invalid body.instructorSub', [
      { field: 'body.instructorSub', message: 'not a member of this institution' },
    ]);
}

export async function createCourse(db: Kysely<Database>, caller: Caller, input: CourseInput) {
  if (!caller.institutionId)
    throw new HttpError(403, 'Only an institution’s managers and instructors create courses');
  await assertInstructor(db, caller.institutionId, input.instructorSub);
  return db
    .insertInto('courses')
    .values({
      institution_id: caller.institutionId,
      title: input.title,
      introduction: input.introduction ?? '',
      instructor_sub: input.instructorSub ?? null,
      cover_image_url: input.coverImageUrl ?? null,
    })
    .returning(courseColumns)
    .executeTakeFirstOrThrow();
}

/** Edits a course's description; its curriculum has its own routes, its state publish and archive. */
export async function updateCourse(
  db: Kysely<Database>,
  caller: Caller,
  courseId: string,
  patch: Partial<CourseInput>,
) {
  const course = await courseRow(db, courseId);
  assertAuthor(caller, course.institutionId);
  if (course.state === 'archived') throw new HttpError(409, 'An archived course cannot change');
  await assertInstructor(db, course.institutionId, patch.instructorSub);
  const updated = await db
    .updateTable('courses')
    .set({
      ...(patch.title !== undefined ? { title: patch.title } : {}),
      ...(patch.introduction !== undefined ? { introduction: patch.introduction } : {}),
      ...(patch.instructorSub !== undefined ? { instructor_sub: patch.instructorSub } : {}),
      ...(patch.coverImageUrl !== undefined ? { cover_image_url: patch.coverImageUrl } : {}),
      updated_at: new Date(),
    })
    .where('id', '=', courseId)
    .where('state', '!=', 'archived')
    .returning(courseColumns)
    .executeTakeFirst();
  if (!updated) throw new HttpError(409, 'An archived course cannot change');
  return updated;
}

/**
 * The course page: a course with its curriculum (chapters in order, each with its active contents in
 * order) and the caller's own enrollment. It is the route learners hit most, so it is one query whose
 * JSON PostgreSQL builds and the route sends as it comes, with the facts the access decision needs.
 *
 * Who may read a course: its institution's people (any state), platform admins, company managers while it
 * is published (the catalogue they request from), and learners enrolled in it.
 *
 * A live lecture's recording belongs to one provision (one company's employees): a learner sees those of
 * the provision of their enrollment shown here, the institution's people and platform admins see all, and
 * a company manager reading the catalogue sees none. The recordings chapter is left out for a reader who
 * would find it empty.
 *
 * Why a video failed to transcode (`mediaError`) is for the people who can upload it again: the pipeline's
 * wording means nothing to a learner, who sees only that the video is not there.
 */
export async function getCourse(db: Kysely<Database>, caller: Identity, id: string): Promise<string> {
  const admin = caller.roles.includes('platform-admin');
  const visible = (x: string) =>
    sql`(${sql.ref(`${x}.provision_id`)} is null or ${sql.ref(`${x}.provision_id`)} = e.provision_id
      or a.author or ${admin}::boolean)`;
  const { rows } = await sql<{ page: string; state: string; author: boolean; enrolled: boolean }>`
    select c.state, a.author,
      e.id is not null as enrolled,
      json_build_object(
        'id', c.id, 'institutionId', c.institution_id, 'title', c.title, 'introduction', c.introduction,
        'instructorSub', c.instructor_sub, 'coverImageUrl', c.cover_image_url, 'state', c.state,
        'createdAt', json_time(c.created_at), 'updatedAt', json_time(c.updated_at),
        'enrollment', case when e.id is null then null else json_build_object(
          'id', e.id, 'provisionId', e.provision_id, 'enrolledAt', json_time(e.created_at)) end,
        'chapters', coalesce((
          select json_agg(json_build_object(
            'id', ch.id, 'title', ch.title, 'position', ch.position, 'purpose', ch.purpose,
            'contents', coalesce((
              select json_agg(json_build_object(
                'id', x.id, 'chapterId', x.chapter_id, 'kind', x.kind, 'title', x.title,
                'position', x.position, 'mediaState', x.media_state, 'durationSeconds', x.duration_seconds,
                'mediaError', case when a.author or ${admin}::boolean then x.media_error end,
                'provisionId', x.provision_id
              ) order by x.position)
              from contents x where x.chapter_id = ch.id and x.state = 'active' and ${visible('x')}),
              '[]'::json)
          ) order by ch.position)
          from chapters ch where ch.course_id = c.id
            and (ch.purpose is null or a.author or ${admin}::boolean or exists (
              select 1 from contents r where r.chapter_id = ch.id and r.state = 'active' and ${visible('r')}))),
          '[]'::json)
      )::text as page
    from courses c
    cross join lateral (
      select exists (select 1 from institution_members m
                     where m.user_sub = ${caller.sub} and m.institution_id = c.institution_id) as author
    ) a
    left join lateral (
      select id, provision_id, created_at from enrollments
      where course_id = c.id and user_sub = ${caller.sub}
      order by created_at desc limit 1
    ) e on true
    where c.id = ${id}`.execute(db);
  const course = rows[0];
  const has = (role: Role) => caller.roles.includes(role);
  const readable =
    course &&
    (course.enrolled ||
      course.author ||
      has('platform-admin') ||
      (has('company-manager') && course.state === 'published'));
  if (!readable) throw notFound('Course');
  return course.page;
}

/** An institution's people list its courses; company managers list the published catalogue. */
export async function listCourses(
  db: Kysely<Database>,
  caller: Caller,
  query: { state?: 'draft' | 'published' | 'archived' | undefined; limit: number },
) {
  let q = db.selectFrom('courses').select(courseColumns).orderBy('created_at', 'desc').limit(query.limit);
  if (caller.institutionId) {
    q = q.where('institution_id', '=', caller.institutionId);
    if (query.state) q = q.where('state', '=', query.state);
  } else if (caller.has('company-manager') || caller.has('platform-admin')) {
    if (query.state && query.state !== 'published' && !caller.has('platform-admin')) return [];
    q = q.where('state', '=', query.state ?? 'published');
  } else {
    throw new HttpError(403, 'Learners see their courses through their enrollments');
  }
  return q.execute();
}

/** Publishing needs something to learn; archiving keeps every learner's record. */
export async function setCourseState(
  db: Kysely<Database>,
  caller: Caller,
  courseId: string,
  state: 'published' | 'archived',
) {
  const course = await courseRow(db, courseId);
  assertAuthor(caller, course.institutionId);
  if (caller.institutionRole !== 'institution-manager')
    throw new HttpError(403, 'Only the institution’s managers publish or archive');
  if (state === 'published') {
    if (course.state !== 'draft') throw new HttpError(409, `A ${course.state} course cannot be published`);
    const content = await db
      .selectFrom('contents')
      .select('id')
      .where('course_id', '=', courseId)
      .where('state', '=', 'active')
      .executeTakeFirst();
    if (!content) throw new HttpError(409, 'Add at least one content before publishing');
  } else if (course.state === 'archived') {
    throw new HttpError(409, 'The course is archived already');
  }
  return db
    .updateTable('courses')
    .set({ state, updated_at: new Date() })
    .where('id', '=', courseId)
    .returning(courseColumns)
    .executeTakeFirstOrThrow();
}
