import { type Kysely, sql, type Transaction } from 'kysely';
import type { Database } from '../db/schema';
import { emit } from '../events/outbox';
import { HttpError } from '../http/errors';
import { type Caller, notFound } from '../http/identity';
import { assertAuthor, courseRow } from './courses';

/*
 * Curriculum editing. Positions are contiguous from 0 among a course's chapters and among a chapter's
 * contents, active ones first: an archived content moves to its chapter's tail, so the active ones a
 * learner sees are numbered 0..n-1 with no gaps. Every change locks the course row, so two editors'
 * moves apply one after the other instead of interleaving into duplicate or missing positions.
 */

const contentColumns = [
  'id',
  'chapter_id as chapterId',
  'kind',
  'title',
  'position',
  'state',
  'media_state as mediaState',
  'provision_id as provisionId',
] as const;
const chapterColumns = ['id', 'title', 'position', 'purpose'] as const;

/** Runs a curriculum change with the course row locked, for the course's authors only. */
export async function editCurriculum<T>(
  db: Kysely<Database>,
  caller: Caller,
  courseId: string,
  change: (trx: Transaction<Database>) => Promise<T>,
): Promise<T> {
  const course = await courseRow(db, courseId);
  assertAuthor(caller, course.institutionId);
  return db.transaction().execute(async (trx) => {
    const locked = await trx
      .selectFrom('courses')
      .select('state')
      .where('id', '=', courseId)
      .forUpdate()
      .executeTakeFirstOrThrow();
    if (locked.state === 'archived') throw new HttpError(409, 'An archived course cannot change');
    return change(trx);
  });
}

const outOfRange = (max: number) =>
  new HttpError(400, `Invalid body.position`, [
    { field: 'body.position', message: `must be between 0 and ${max}` },
  ]);

async function chapterIn(trx: Transaction<Database>, courseId: string, chapterId: string) {
  const chapter = await trx
    .selectFrom('chapters')
    .select(['id', 'position'])
    .where('id', '=', chapterId)
    .where('course_id', '=', courseId)
    .executeTakeFirst();
  if (!chapter) throw notFound('Chapter');
  return chapter;
}

export async function contentIn(trx: Transaction<Database>, courseId: string, contentId: string) {
  const content = await trx
    .selectFrom('contents')
    .select(['id', 'chapter_id', 'position', 'state'])
    .where('id', '=', contentId)
    .where('course_id', '=', courseId)
    .executeTakeFirst();
  if (!content) throw notFound('Content');
  return content;
}

async function activeCount(trx: Transaction<Database>, chapterId: string): Promise<number> {
  const { n } = await trx
    .selectFrom('contents')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('chapter_id', '=', chapterId)
    .where('state', '=', 'active')
    .executeTakeFirstOrThrow();
  return Number(n);
}

/** One ordered list: a course's chapters, or a chapter's contents. */
type List =
  | { readonly table: 'chapters'; readonly courseId: string }
  | { readonly table: 'contents'; readonly chapterId: string };
const chaptersOf = (courseId: string): List => ({ table: 'chapters', courseId });
const contentsOf = (chapterId: string): List => ({ table: 'contents', chapterId });

/** Shifts by `delta` the positions of a list from `first` to `last` (inclusive; no `last`: to the end). */
async function shift(trx: Transaction<Database>, list: List, delta: 1 | -1, first: number, last?: number) {
  const scope =
    list.table === 'chapters' ? sql`course_id = ${list.courseId}` : sql`chapter_id = ${list.chapterId}`;
  const upTo = last === undefined ? sql`` : sql`and position <= ${last}`;
  await sql`update ${sql.table(list.table)} set position = position + ${delta}
    where ${scope} and position >= ${first} ${upTo}`.execute(trx);
}

/** Moves the item at `from` to `to` in its list; the items in between shift by one. */
async function moveWithin(trx: Transaction<Database>, list: List, from: number, to: number) {
  if (to > from) await shift(trx, list, -1, from + 1, to);
  else if (to < from) await shift(trx, list, 1, to, from - 1);
}

/** Appends a chapter at the end of the curriculum. */
export async function addChapter(db: Kysely<Database>, caller: Caller, courseId: string, title: string) {
  return editCurriculum(db, caller, courseId, async (trx) => {
    const { n } = await trx
      .selectFrom('chapters')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .where('course_id', '=', courseId)
      .executeTakeFirstOrThrow();
    return trx
      .insertInto('chapters')
      .values({ course_id: courseId, title, position: Number(n) })
      .returning(chapterColumns)
      .executeTakeFirstOrThrow();
  });
}

/** Appends a video or material after the chapter's active contents (exams come with their questions). */
export async function addContent(
  db: Kysely<Database>,
  caller: Caller,
  courseId: string,
  chapterId: string,
  input: { kind: 'video' | 'material'; title: string },
) {
  return editCurriculum(db, caller, courseId, (trx) => insertContent(trx, courseId, chapterId, input));
}

/** Inside a curriculum change: appends a content after the chapter's active contents. */
export async function insertContent(
  trx: Transaction<Database>,
  courseId: string,
  chapterId: string,
  input: { kind: 'video' | 'material' | 'exam'; title: string },
) {
  await chapterIn(trx, courseId, chapterId);
  const position = await activeCount(trx, chapterId);
  await shift(trx, contentsOf(chapterId), 1, position);
  const content = await trx
    .insertInto('contents')
    .values({
      course_id: courseId,
      chapter_id: chapterId,
      kind: input.kind,
      title: input.title,
      position,
      media_state: input.kind === 'video' ? 'pending' : null,
    })
    .returning(contentColumns)
    .executeTakeFirstOrThrow();
  await emitContentSet(trx, content.id);
  return content;
}

/**
 * Tells the access projection what a content is now; `state` overrides the stored one for a content about
 * to be deleted. Called with the course row locked, so facts about one content commit in their order.
 */
async function emitContentSet(trx: Transaction<Database>, contentId: string, state?: 'archived') {
  const content = await trx
    .selectFrom('contents as x')
    .innerJoin('courses as c', 'c.id', 'x.course_id')
    .select(['x.course_id', 'c.institution_id', 'x.kind', 'x.state', 'x.provision_id'])
    .where('x.id', '=', contentId)
    .executeTakeFirstOrThrow();
  await emit(trx, 'content.set', {
    contentId,
    courseId: content.course_id,
    institutionId: content.institution_id,
    kind: content.kind,
    state: state ?? content.state,
    // Every fact of a recording names its provision: the projection keeps the newest fact whole, so one
    // without it (an archive, say) would open the recording to every learner of the course.
    ...(content.provision_id !== null ? { provisionId: content.provision_id } : {}),
  });
}

/**
 * Inside a curriculum change: the course's chapter for live lecture recordings, appended at the end of the
 * curriculum the first time one is needed. It is found by its purpose, so its institution may rename or
 * move it; removed (once empty), it comes back with the next recording.
 */
export async function recordingsChapter(trx: Transaction<Database>, courseId: string): Promise<string> {
  const chapter = await trx
    .selectFrom('chapters')
    .select('id')
    .where('course_id', '=', courseId)
    .where('purpose', '=', 'live-recordings')
    .executeTakeFirst();
  if (chapter) return chapter.id;
  const { n } = await trx
    .selectFrom('chapters')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('course_id', '=', courseId)
    .executeTakeFirstOrThrow();
  const { id } = await trx
    .insertInto('chapters')
    .values({
      course_id: courseId,
      title: 'Live lecture recordings',
      position: Number(n),
      purpose: 'live-recordings',
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return id;
}

/**
 * Inside a curriculum change: appends a live lecture's recording to the course's recordings chapter, a
 * ready video under the lecture's id (its files are already where that id's playlist lives), for the
 * lecture's provision only.
 */
export async function insertRecording(
  trx: Transaction<Database>,
  courseId: string,
  recording: {
    readonly lectureId: string;
    readonly provisionId: string;
    readonly title: string;
    readonly durationSeconds: number;
    readonly playbackPath: string;
    readonly occurredAt: Date;
  },
) {
  const chapterId = await recordingsChapter(trx, courseId);
  const position = await activeCount(trx, chapterId);
  await shift(trx, contentsOf(chapterId), 1, position);
  await trx
    .insertInto('contents')
    .values({
      id: recording.lectureId,
      course_id: courseId,
      chapter_id: chapterId,
      provision_id: recording.provisionId,
      kind: 'video',
      title: recording.title,
      position,
      media_state: 'ready',
      duration_seconds: recording.durationSeconds,
      playback_path: recording.playbackPath,
      media_event_at: recording.occurredAt,
    })
    .execute();
  await emitContentSet(trx, recording.lectureId);
}

export async function renameChapter(
  db: Kysely<Database>,
  caller: Caller,
  courseId: string,
  chapterId: string,
  title: string,
) {
  return editCurriculum(db, caller, courseId, async (trx) => {
    await chapterIn(trx, courseId, chapterId);
    return trx
      .updateTable('chapters')
      .set({ title })
      .where('id', '=', chapterId)
      .returning(chapterColumns)
      .executeTakeFirstOrThrow();
  });
}

/** Moves one chapter to `position`; the chapters in between shift by one. */
export async function moveChapter(
  db: Kysely<Database>,
  caller: Caller,
  courseId: string,
  chapterId: string,
  position: number,
) {
  return editCurriculum(db, caller, courseId, async (trx) => {
    const chapter = await chapterIn(trx, courseId, chapterId);
    const { n } = await trx
      .selectFrom('chapters')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .where('course_id', '=', courseId)
      .executeTakeFirstOrThrow();
    if (position >= Number(n)) throw outOfRange(Number(n) - 1);
    await moveWithin(trx, chaptersOf(courseId), chapter.position, position);
    return trx
      .updateTable('chapters')
      .set({ position })
      .where('id', '=', chapterId)
      .returning(chapterColumns)
      .executeTakeFirstOrThrow();
  });
}

/** Only an empty chapter goes: contents are moved out or removed first, each under its own rule. */
export async function removeChapter(
  db: Kysely<Database>,
  caller: Caller,
  courseId: string,
  chapterId: string,
) {
  await editCurriculum(db, caller, courseId, async (trx) => {
    const chapter = await chapterIn(trx, courseId, chapterId);
    const content = await trx
      .selectFrom('contents')
      .select('id')
      .where('chapter_id', '=', chapterId)
      .executeTakeFirst();
    if (content) throw new HttpError(409, 'The chapter has contents: move or remove them first');
    await trx.deleteFrom('chapters').where('id', '=', chapterId).execute();
    await shift(trx, chaptersOf(courseId), -1, chapter.position + 1);
  });
}

export async function renameContent(
  db: Kysely<Database>,
  caller: Caller,
  courseId: string,
  contentId: string,
  title: string,
) {
  return editCurriculum(db, caller, courseId, async (trx) => {
    await contentIn(trx, courseId, contentId);
    return trx
      .updateTable('contents')
      .set({ title })
      .where('id', '=', contentId)
      .returning(contentColumns)
      .executeTakeFirstOrThrow();
  });
}

/**
 * Moves one active content to `position` among the active contents of its chapter, or of another chapter
 * of the same course; the contents in between shift by one.
 */
export async function moveContent(
  db: Kysely<Database>,
  caller: Caller,
  courseId: string,
  contentId: string,
  to: { chapterId?: string | undefined; position: number },
) {
  return editCurriculum(db, caller, courseId, async (trx) => {
    const content = await contentIn(trx, courseId, contentId);
    if (content.state !== 'active') throw new HttpError(409, 'An archived content has no place to move to');
    const target = to.chapterId ? (await chapterIn(trx, courseId, to.chapterId)).id : content.chapter_id;
    if (target === content.chapter_id) {
      const count = await activeCount(trx, target);
      if (to.position >= count) throw outOfRange(count - 1);
      await moveWithin(trx, contentsOf(target), content.position, to.position);
    } else {
      const count = await activeCount(trx, target);
      if (to.position > count) throw outOfRange(count);
      await shift(trx, contentsOf(content.chapter_id), -1, content.position + 1);
      await shift(trx, contentsOf(target), 1, to.position);
    }
    return trx
      .updateTable('contents')
      .set({ chapter_id: target, position: to.position })
      .where('id', '=', contentId)
      .returning(contentColumns)
      .executeTakeFirstOrThrow();
  });
}

/**
 * Removes a content for good, only while no learner is enrolled in the course: once one is, the content
 * may carry their progress, so it is archived instead (hidden from the curriculum, kept for the record).
 */
export async function removeContent(
  db: Kysely<Database>,
  caller: Caller,
  courseId: string,
  contentId: string,
) {
  await editCurriculum(db, caller, courseId, async (trx) => {
    const content = await contentIn(trx, courseId, contentId);
    const enrolled = await trx
      .selectFrom('enrollments')
      .select('id')
      .where('course_id', '=', courseId)
      .executeTakeFirst();
    if (enrolled)
      throw new HttpError(409, 'Learners are enrolled in this course: archive the content instead');
    await dropContent(trx, content);
  });
}

/** Inside a curriculum change: deletes a content and closes the gap it leaves. */
export async function dropContent(
  trx: Transaction<Database>,
  content: { readonly id: string; readonly chapter_id: string; readonly position: number },
) {
  // To the access projection a content deleted for good is an archived one: nothing is uploaded to it and
  // no learner watches it (its own institution's people may play what is left, as they may an archived
  // one). One fact type needs no new contract, and the projection keeps the fact as a tombstone, so an
  // older `active` fact delivered late (the bus keeps no order) cannot bring access back.
  await emitContentSet(trx, content.id, 'archived');
  await trx.deleteFrom('contents').where('id', '=', content.id).execute();
  await shift(trx, contentsOf(content.chapter_id), -1, content.position + 1);
}

/** Hides a content from the curriculum and keeps it, with every record that refers to it. */
export async function archiveContent(
  db: Kysely<Database>,
  caller: Caller,
  courseId: string,
  contentId: string,
) {
  return editCurriculum(db, caller, courseId, async (trx) => {
    const content = await contentIn(trx, courseId, contentId);
    if (content.state === 'archived') throw new HttpError(409, 'The content is archived already');
    const { last } = await trx
      .selectFrom('contents')
      .select((eb) => eb.fn.max('position').as('last'))
      .where('chapter_id', '=', content.chapter_id)
      .executeTakeFirstOrThrow();
    await shift(trx, contentsOf(content.chapter_id), -1, content.position + 1);
    const archived = await trx
      .updateTable('contents')
      .set({ state: 'archived', position: Number(last) })
      .where('id', '=', contentId)
      .returning(contentColumns)
      .executeTakeFirstOrThrow();
    await emitContentSet(trx, contentId);
    return archived;
  });
}
