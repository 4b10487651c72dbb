import type { Kysely } from 'kysely';
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
function assertAuthor(caller: Caller, institutionId: string): void {
  if (caller.institutionId !== institutionId) throw notFound('Course');
}

async function courseRow(db: Kysely<Database>, id: string) {
  const course = await db.selectFrom('courses').select(courseColumns).where('id', '=', id).executeTakeFirst();
  if (!course) throw notFound('Course');
  return course;
}

/**
 * Who may read a course: its institution's people (any state), platform admins, company managers while it
 * is published (the catalogue they request from), and learners enrolled in it. Returns the caller's own
 * enrollment, which the learner's course page shows.
 */
async function assertReader(
  db: Kysely<Database>,
  caller: Caller,
  course: { id: string; institutionId: string; state: string },
) {
  const enrollment = await db
    .selectFrom('enrollments')
    .select(['id', 'provision_id as provisionId', 'created_at as enrolledAt'])
    .where('course_id', '=', course.id)
    .where('user_sub', '=', caller.sub)
    .orderBy('created_at', 'desc')
    .executeTakeFirst();
  if (enrollment) return enrollment;
  if (caller.institutionId === course.institutionId || caller.has('platform-admin')) return null;
  if (caller.has('company-manager') && course.state === 'published') return null;
  throw notFound('Course');
}

export async function createCourse(db: Kysely<Database>, caller: Caller, input: CourseInput) {
  if (!caller.institutionId)
    throw new HttpError(403, 'Only an institution’s managers and instructors create courses');
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

/** A course with its curriculum: chapters in order, each with its active contents in order. */
export async function getCourse(db: Kysely<Database>, caller: Caller, id: string) {
  const course = await courseRow(db, id);
  const enrollment = await assertReader(db, caller, course);
  const [chapters, contents] = await Promise.all([
    db
      .selectFrom('chapters')
      .select(['id', 'title', 'position'])
      .where('course_id', '=', id)
      .orderBy('position')
      .execute(),
    db
      .selectFrom('contents')
      .select([
        'id',
        'chapter_id as chapterId',
        'kind',
        'title',
        'position',
        'media_state as mediaState',
        'duration_seconds as durationSeconds',
      ])
      .where('course_id', '=', id)
      .where('state', '=', 'active')
      .orderBy('position')
      .execute(),
  ]);
  return {
    ...course,
    enrollment: enrollment ?? null,
    chapters: chapters.map((c) => ({ ...c, contents: contents.filter((x) => x.chapterId === c.id) })),
  };
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

/** Appends a chapter at the end of the curriculum. */
export async function addChapter(db: Kysely<Database>, caller: Caller, courseId: string, title: string) {
  const course = await courseRow(db, courseId);
  assertAuthor(caller, course.institutionId);
  if (course.state === 'archived') throw new HttpError(409, 'An archived course cannot change');
  return db.transaction().execute(async (trx) => {
    // Locks the course row so two appends cannot take the same position.
    await trx.selectFrom('courses').select('id').where('id', '=', courseId).forUpdate().execute();
    const { next } = await trx
      .selectFrom('chapters')
      .select((eb) => eb.fn.coalesce(eb.fn.max('position'), eb.lit(-1)).as('next'))
      .where('course_id', '=', courseId)
      .executeTakeFirstOrThrow();
    return trx
      .insertInto('chapters')
      .values({ course_id: courseId, title, position: Number(next) + 1 })
      .returning(['id', 'title', 'position'])
      .executeTakeFirstOrThrow();
  });
}

/** Appends a content (video, material or exam) at the end of a chapter. */
export async function addContent(
  db: Kysely<Database>,
  caller: Caller,
  courseId: string,
  chapterId: string,
  input: { kind: 'video' | 'material' | 'exam'; title: string },
) {
  const course = await courseRow(db, courseId);
  assertAuthor(caller, course.institutionId);
  if (course.state === 'archived') throw new HttpError(409, 'An archived course cannot change');
  return db.transaction().execute(async (trx) => {
    const chapter = await trx
      .selectFrom('chapters')
      .select('id')
      .where('id', '=', chapterId)
      .where('course_id', '=', courseId)
      .forUpdate()
      .executeTakeFirst();
    if (!chapter) throw notFound('Chapter');
    const { next } = await trx
      .selectFrom('contents')
      .select((eb) => eb.fn.coalesce(eb.fn.max('position'), eb.lit(-1)).as('next'))
      .where('chapter_id', '=', chapterId)
      .executeTakeFirstOrThrow();
    return trx
      .insertInto('contents')
      .values({
        course_id: courseId,
        chapter_id: chapterId,
        kind: input.kind,
        title: input.title,
        position: Number(next) + 1,
        media_state: input.kind === 'video' ? 'pending' : null,
      })
      .returning(['id', 'chapter_id as chapterId', 'kind', 'title', 'position', 'media_state as mediaState'])
      .executeTakeFirstOrThrow();
  });
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
