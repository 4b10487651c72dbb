import type { paths } from '../api/schema';
import type { Locale } from '../i18n';

/*
 * What the learner's screens (my courses, the course page, the player) share: the answers' types, taken from
 * the generated schema, and the small rules that read them the same way on every screen.
 */

type Json<T> = T extends { content: { 'application/json': infer B } } ? B : never;

export type Enrollment = Json<paths['/me/enrollments']['get']['responses'][200]>[number];
export type Course = Json<paths['/courses/{courseId}']['get']['responses'][200]>;
export type Chapter = Course['chapters'][number];
export type Content = Chapter['contents'][number];
export type ContentProgress = Json<
  paths['/me/enrollments/{enrollmentId}/progress']['get']['responses'][200]
>[number];
export type ExamStanding = Json<
  paths['/me/enrollments/{enrollmentId}/exams']['get']['responses'][200]
>[number];

export const coursePath = (enrollmentId: string) => `/learn/${enrollmentId}`;
export const watchPath = (enrollmentId: string, contentId: string) =>
  `/learn/${enrollmentId}/watch/${contentId}`;
export const examPath = (enrollmentId: string, examId: string) => `/learn/${enrollmentId}/exams/${examId}`;

/**
 * The next lesson: the first video, in curriculum order, not yet completed. Lessons are the course's own
 * videos (live recordings count towards nothing, as the server's lesson count says), and one still being
 * transcoded cannot be played yet, so it is passed over.
 */
export function nextLesson(course: Course, progress: readonly ContentProgress[]): Content | undefined {
  const done = new Set(progress.filter((p) => p.completedAt !== null).map((p) => p.contentId));
  for (const chapter of course.chapters)
    for (const content of chapter.contents)
      if (
        content.kind === 'video' &&
        content.provisionId === null &&
        content.mediaState === 'ready' &&
        !done.has(content.id)
      )
        return content;
  return undefined;
}

/** `1:05:09`, `4:07`: a duration or playhead as players show it. */
export function clock(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const two = (n: number) => String(n).padStart(2, '0');
  return h > 0 ? `${h}:${two(m)}:${two(s % 60)}` : `${m}:${two(s % 60)}`;
}

/** A calendar day (`2026-12-01`, as the API sends periods) in the reader's language, without time zones. */
export function day(isoDay: string, locale: Locale): string {
  const [y, m, d] = isoDay.slice(0, 10).split('-').map(Number);
  return new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeZone: 'UTC' }).format(
    new Date(Date.UTC(y!, m! - 1, d!)),
  );
}

/** A moment in the reader's language and time zone. */
export function moment(iso: string, locale: Locale): string {
  return new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeStyle: 'short' }).format(new Date(iso));
}

/**
 * Whether today falls outside the enrollment's period. The server judges by the compliance profile's time
 * zone, which the app does not know: near midnight the two may differ, and the server's answer (the
 * heartbeat's gate, the exams' gate) is what the screens then show.
 */
export function outsidePeriod(enrollment: Pick<Enrollment, 'startsOn' | 'endsOn'>, now = new Date()) {
  const today = `${now.getFullYear()}-${String(now.getMonth() + 1).padStart(2, '0')}-${String(now.getDate()).padStart(2, '0')}`;
  return today < enrollment.startsOn ? 'before' : today > enrollment.endsOn ? 'after' : null;
}
