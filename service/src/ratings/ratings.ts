import type { Kysely } from 'kysely';
import type { Identity } from '#contracts/access-token';
import { isUniqueViolation } from '../db/errors';
import type { Database } from '../db/schema';
import { HttpError } from '../http/errors';
import { notFound } from '../http/identity';

/**
 * The learner rates the course of their own enrollment, once and only after completing it. The rating's
 * key is the enrollment, so the database, not a prior read, settles two ratings sent at once.
 */
export async function rateCourse(
  db: Kysely<Database>,
  caller: Identity,
  enrollmentId: string,
  stars: number,
) {
  const enrollment = await db
    .selectFrom('enrollments')
    .select(['course_id', 'completed_at'])
    .where('id', '=', enrollmentId)
    .where('user_sub', '=', caller.sub)
    .executeTakeFirst();
  if (!enrollment) throw notFound('Enrollment');
  if (!enrollment.completed_at) throw new HttpError(409, 'A course is rated once it is completed');
  try {
    return await db
      .insertInto('course_ratings')
      .values({ enrollment_id: enrollmentId, course_id: enrollment.course_id, stars })
      .returning([
        'enrollment_id as enrollmentId',
        'course_id as courseId',
        'stars',
        'created_at as createdAt',
      ])
      .executeTakeFirstOrThrow();
  } catch (e) {
    if (isUniqueViolation(e)) throw new HttpError(409, 'This enrollment’s course is rated already');
    throw e;
  }
}
