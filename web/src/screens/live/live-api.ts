import type { ApiClient, paths } from '../../api/client';
import type { Problem } from '../../api/problem';
import { asProblem } from '../../ui/use-load';

/** The live routes' answers, as the API documents them (contracts/live.ts, `npm run openapi`). */
type Json<R> = R extends { content: { 'application/json': infer B } } ? B : never;

export type Lecture = Json<paths['/lectures/{lectureId}']['get']['responses'][200]>;
export type LectureState = Lecture['state'];
export type LecturePage = Json<paths['/lectures']['get']['responses'][200]>;
export type Quiz = Json<paths['/lectures/{lectureId}/quizzes']['get']['responses'][200]>['quizzes'][number];
export type QuizResults = Json<
  paths['/lectures/{lectureId}/quizzes/{quizId}/results']['get']['responses'][200]
>;
export type Attendance = Json<paths['/lectures/{lectureId}/attendance']['get']['responses'][200]>;
export type AttendanceRow = Attendance['attendees'][number];
export type Joined = Json<paths['/lectures/{lectureId}/join']['post']['responses'][200]>;

export type Answer<T> =
  | { readonly data: T; readonly problem?: undefined }
  | { readonly data?: undefined; readonly problem: Problem };

/** One client call's answer or the problem it was refused with (a network failure made one too). */
export async function liveCall<T>(
  call: (api: ApiClient) => Promise<{ data?: T; error?: unknown; response: Response }>,
  api: ApiClient,
): Promise<Answer<T>> {
  try {
    const { data, error, response } = await call(api);
    if (response.ok && data !== undefined) return { data };
    return { problem: asProblem(error, response) };
  } catch (e) {
    return { problem: asProblem(e) };
  }
}
