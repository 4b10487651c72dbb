import type { ApiClient } from '../../api/client';
import type { Problem } from '../../api/problem';
import { asProblem } from '../../ui/use-load';

/*
 * What the live routes answer. The OpenAPI document does not describe their bodies yet (contracts/routes.ts
 * declares no `responses` for them), so these mirror lambda/live/*: lectures.ts (lectureView), seats.ts
 * (Joined, Presence, AttendanceRow), chat-token.ts (ChatGrant) and quizzes.ts (StaffQuiz, LearnerQuiz,
 * QuizResults). Only the fields the pages read are named.
 */

export type LectureState = 'scheduled' | 'live' | 'ended' | 'cancelled';

export interface Lecture {
  readonly lectureId: string;
  readonly provisionId: string;
  readonly courseId: string;
  readonly title: string;
  readonly startsAt: string;
  readonly endsAt: string;
  readonly capacity: number;
  readonly joinedCount: number;
  readonly state: LectureState;
  readonly startedAt?: string;
  readonly endedAt?: string;
  /** Staff only. */
  readonly ingestEndpoint?: string;
  readonly channelReleasedAt?: string;
}

export interface LecturePage {
  readonly lectures: readonly Lecture[];
  readonly cursor?: string;
}

export interface StreamKey {
  readonly ingestUrl: string;
  readonly streamKey: string;
}

export interface Joined {
  readonly as: 'seat' | 'watch';
  readonly playbackUrl: string;
  readonly expiresAt: string;
}

export interface ChatGrant {
  readonly token: string;
  readonly sessionExpiresAt?: string;
  readonly tokenExpiresAt?: string;
  readonly capabilities: readonly string[];
}

export interface Quiz {
  readonly quizId: string;
  readonly question: string;
  readonly options: readonly string[];
  readonly timeLimitSeconds: number;
  readonly sentAt?: string;
  readonly deadline?: string;
  readonly state: 'prepared' | 'open' | 'closed';
  /** Staff always; learners once closed. */
  readonly answer?: number;
  readonly explanation?: string;
  /** Learners: their own answer. */
  readonly yourAnswer?: { readonly option: number; readonly answeredAt: string; readonly correct?: boolean };
}

export interface QuizResults {
  readonly quizId: string;
  readonly state: Quiz['state'];
  readonly deadline?: string;
  readonly answer: number;
  readonly counts: readonly number[];
  readonly total: number;
  readonly correct: number;
  readonly correctRate: number | null;
}

export interface AttendanceRow {
  readonly userSub: string;
  readonly enrollmentId: string;
  readonly joinedAt: string;
  readonly presenceSeconds: number;
  readonly attendanceRate: number;
  readonly quizzesAnswered: number;
  readonly quizzesCorrect: number;
  readonly left: boolean;
}

export interface Attendance {
  readonly lectureId: string;
  readonly state: LectureState;
  readonly streamedSeconds: number;
  readonly quizzesSent: number;
  readonly attendees: readonly AttendanceRow[];
}

export type Answer<T> =
  | { readonly data: T; readonly problem?: undefined }
  | { readonly data?: undefined; readonly problem: Problem };

/** One typed client call whose body the document leaves undescribed, as the shape the route answers. */
export async function liveCall<T>(
  call: (api: ApiClient) => Promise<{ data?: unknown; error?: unknown; response: Response }>,
  api: ApiClient,
): Promise<Answer<T>> {
  try {
    const { data, error, response } = await call(api);
    if (response.ok) return { data: data as T };
    return { problem: asProblem(error, response) };
  } catch (e) {
    return { problem: asProblem(e) };
  }
}

/** For useLoad: a live route's call with its answer typed. */
export const typed =
  <T>(call: () => Promise<{ data?: unknown; error?: unknown; response: Response }>) =>
  async (): Promise<{ data?: T; error?: unknown; response: Response }> => {
    const r = await call();
    return { data: r.response.ok ? (r.data as T) : undefined, error: r.error, response: r.response };
  };
