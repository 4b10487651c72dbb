import type { Kysely } from 'kysely';
import type { Database } from '../../service/src/db/schema';

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
