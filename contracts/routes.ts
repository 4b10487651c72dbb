import * as z from 'zod';
import type { Role, TableName } from './resources';
import {
  completedUploadView,
  completeUploadBody,
  contentIdParams,
  materialDownloadView,
  partUrlsQueryString,
  partUrlsView,
  playbackView,
  startedUploadView,
  startUploadBody,
  uploadedPartsView,
  uploadIdParams,
} from './vod-requests';
import {
  answerQuizBody,
  answerView,
  attendanceView,
  chatTokenBody,
  chatTokenView,
  createdQuizView,
  createLectureBody,
  createQuizBody,
  joinedView,
  lectureIdParams,
  lecturePage,
  lectureView,
  listLecturesQuery,
  presenceBody,
  presenceView,
  quizIdParams,
  quizList,
  quizResultsView,
  quizSentView,
  streamKeyView,
  updateLectureBody,
} from './live';
import {
  acceptAnswerBody,
  commentBodySchema,
  commentIdParams,
  commentPage,
  commentView,
  createPostBody,
  listCommentsQuery,
  listMyPostsQuery,
  listPostsQuery,
  postIdParams,
  postPage,
  postView,
  questionMinutesParams,
  questionMinutesQuery,
  questionMinutesView,
  updatePostBody,
} from './board';
import {
  createNoteBody,
  exportNotesQuery,
  listNotesQuery,
  listNoteVersionsQuery,
  noteIdParams,
  notePage,
  noteVersionPage,
  noteView,
  updateNoteBody,
} from './notes';
import { inviteEmployeesBody, inviteInstructorsBody, meView, profileView, updateProfileBody } from './users';
import {
  CERTIFICATES,
  certificateDownload,
  certificateNumberParams,
  certificatePage,
  certificateView,
  listCertificatesQuery,
  listInstitutionCertificatesQuery,
  revokeCertificateBody,
} from './certificates';
import {
  listNotificationsQuery,
  markedRead,
  markNotificationsReadBody,
  NOTIFICATIONS,
  notificationPage,
  notificationPreferences,
  unsubscribeParams,
  updateNotificationPreferencesBody,
} from './notifications';

/**
 * The one list of HTTP routes served by Lambda. The api stack builds API Gateway routes and functions
 * from it; the local runner serves the same entries with the same handler modules; each handler validates
 * and authorizes against its own entry. Handlers are named by path, so infrastructure never imports them.
 */

/** `public`: no token needed; `signed-in`: any valid token; a role list: a token carrying one of them. */
export type Access = 'public' | 'signed-in' | readonly Role[];

export interface RouteDef {
  readonly method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** API Gateway path syntax: `/courses/{courseId}`. */
  readonly path: string;
  /** Module under `lambda/` without extension; it exports `handler`. */
  readonly handler: string;
  readonly access: Access;
  readonly summary: string;
  /** The path's parameters (`{uploadId}`), refused as `path.<name>`. */
  readonly params?: z.ZodType;
  readonly query?: z.ZodType;
  readonly body?: z.ZodType;
  /**
   * What a success answers, by status: the body's schema, or null for none. The OpenAPI document and the web
   * app's typed client are generated from it, and the local runner checks every answer against it.
   * @default a 200 whose body is not described
   */
  readonly responses?: Readonly<Partial<Record<200 | 201 | 202 | 204 | 302, z.ZodType | null>>>;
  /** Tables the handler reads or writes; the api stack grants exactly these. */
  readonly tables?: Readonly<Partial<Record<TableName, 'read' | 'readWrite'>>>;
  /** Needs the OAuth client settings (the browser sign-in routes). */
  readonly oauth?: boolean;
  /**
   * Verifies access tokens itself although public (logout, which must also answer a caller whose token is
   * gone): the api stack hands it the issuer, JWKS and client ids the authorizer uses.
   */
  readonly verifiesTokens?: boolean;
  /** Exists only when this feature is on in the institution's config. @default - always */
  readonly feature?: 'video' | 'live';
  /**
   * Buckets the handler uses; the api stack grants exactly what their handlers need of them: `readWrite`
   * the multipart upload actions, `read` listing and reading materials.
   */
  readonly buckets?: { readonly upload?: 'readWrite' | 'read'; readonly certificates?: 'read' };
  /**
   * API Gateway's throttle of this route (requests per second and burst, for all callers together), below the
   * stage's; the local runner refuses beyond it with 429 as API Gateway does. @default the stage's
   */
  readonly throttle?: { readonly rate: number; readonly burst: number };
  /** Checks unsubscribe links: the api stack hands it the secret they are signed with. @default false */
  readonly unsubscribeKey?: boolean;
  /** Signs playback cookies: the api stack hands it the signing key's secret and the distribution's origin. */
  readonly signsPlayback?: boolean;
  /** Signs IVS playback tokens: the api stack hands it the live playback key's secret. */
  readonly signsLivePlayback?: boolean;
  /**
   * What the route asks of IVS and IVS chat (besides its tables); the api stack grants exactly these actions
   * on the platform's own channels and rooms. @default none
   */
  readonly ivs?: readonly IvsAction[];
  /**
   * What the route asks of the platform's user pool; the api stack grants exactly these actions on that pool
   * alone and hands it the pool's id. @default none
   */
  readonly cognito?: readonly CognitoAction[];
  /** Puts facts on the platform bus: the api stack grants PutEvents on it and names it. @default false */
  readonly publishes?: boolean;
  /**
   * How long the handler may run, in seconds: API Gateway waits at most 30 for a Lambda integration.
   * @default 10, the platform's function default
   */
  readonly timeoutSeconds?: number;
}

/** The Cognito admin actions routes use: never `cognito-idp:*`. */
export type CognitoAction =
  | 'cognito-idp:AdminGetUser'
  | 'cognito-idp:AdminUpdateUserAttributes'
  | 'cognito-idp:AdminCreateUser'
  | 'cognito-idp:AdminAddUserToGroup';

/** The IVS actions live routes use: never `ivs:*`. */
export type IvsAction =
  | 'ivs:CreateChannel'
  | 'ivs:DeleteChannel'
  | 'ivs:UpdateChannel'
  | 'ivs:GetStream'
  | 'ivs:GetStreamKey'
  | 'ivs:ListStreamKeys'
  | 'ivs:PutMetadata'
  | 'ivs:TagResource'
  | 'ivschat:CreateRoom'
  | 'ivschat:DeleteRoom'
  | 'ivschat:CreateChatToken'
  | 'ivschat:TagResource';

const route = <const R extends RouteDef>(r: R): R => r;

/**
 * A path inside the app or an absolute URL; the handler resolves it and checks the result's origin against
 * the app's (a text check here could not know how a browser parses it).
 */
const returnTo = z.string().min(1).max(2048);

/** Who uploads a content's files; the domain then checks the caller manages that content's institution. */
const uploaders = ['institution-manager', 'instructor'] as const satisfies readonly Role[];
/** Every upload route reads its session beside the access projection and talks to the upload bucket. */
const uploadRoute = {
  tables: { access: 'readWrite' },
  buckets: { upload: 'readWrite' },
  feature: 'video',
} as const satisfies Partial<RouteDef>;

/** Who may watch: the domain then checks enrolment in the content's course, or managing its institution. */
const watchers = ['learner', 'institution-manager', 'instructor'] as const satisfies readonly Role[];

/** Who runs a lecture: the domain then checks they belong to the provision's institution. */
const lecturers = ['institution-manager', 'instructor'] as const satisfies readonly Role[];
/** Every live route reads the projection (provisions, members, learners) beside its own table. */
const liveRoute = {
  tables: { access: 'read', live: 'readWrite' },
  feature: 'live',
} as const satisfies Partial<RouteDef>;

/** The live lecture routes (`features.liveLectures`): the api stack builds them with the live stack. */
export const liveRoutes = {
  createLecture: route({
    method: 'POST',
    path: '/lectures',
    handler: 'live/create-lecture',
    access: lecturers,
    summary: 'Schedules a live lecture for a provision: an IVS channel and chat room of its own',
    body: createLectureBody,
    ...liveRoute,
    responses: { 200: lectureView, 201: lectureView },
    // lecture.scheduled, for the notifications domain.
    publishes: true,
    ivs: [
      'ivs:CreateChannel',
      'ivs:DeleteChannel',
      'ivs:TagResource',
      'ivschat:CreateRoom',
      'ivschat:DeleteRoom',
      'ivschat:TagResource',
    ],
  }),
  listLectures: route({
    method: 'GET',
    path: '/lectures',
    handler: 'live/list-lectures',
    access: watchers,
    summary: 'A provision’s lectures by planned start, a page at a time',
    query: listLecturesQuery,
    ...liveRoute,
    responses: { 200: lecturePage },
  }),
  getLecture: route({
    method: 'GET',
    path: '/lectures/{lectureId}',
    handler: 'live/get-lecture',
    access: watchers,
    params: lectureIdParams,
    summary: 'One lecture: its schedule, state and seats',
    ...liveRoute,
    responses: { 200: lectureView },
  }),
  updateLecture: route({
    method: 'PATCH',
    path: '/lectures/{lectureId}',
    handler: 'live/update-lecture',
    access: lecturers,
    params: lectureIdParams,
    summary: 'Changes a scheduled lecture’s title, times or capacity',
    body: updateLectureBody,
    ...liveRoute,
  }),
  cancelLecture: route({
    method: 'DELETE',
    path: '/lectures/{lectureId}',
    handler: 'live/cancel-lecture',
    access: lecturers,
    params: lectureIdParams,
    summary: 'Cancels a lecture that is not live, deleting its channel and room',
    ...liveRoute,
    ivs: ['ivs:DeleteChannel', 'ivschat:DeleteRoom'],
  }),
  getStreamKey: route({
    method: 'POST',
    path: '/lectures/{lectureId}/stream-key',
    handler: 'live/get-stream-key',
    access: lecturers,
    params: lectureIdParams,
    summary: 'The ingest endpoint and stream key, read from IVS when going live and never stored',
    ...liveRoute,
    responses: { 200: streamKeyView },
    ivs: ['ivs:GetStreamKey', 'ivs:ListStreamKeys'],
  }),
  joinLecture: route({
    method: 'POST',
    path: '/lectures/{lectureId}/join',
    handler: 'live/join-lecture',
    access: watchers,
    params: lectureIdParams,
    summary: 'Takes (or keeps) the caller’s seat and answers a playback URL with a short-lived token',
    ...liveRoute,
    responses: { 200: joinedView },
    signsLivePlayback: true,
  }),
  recordPresence: route({
    method: 'POST',
    path: '/lectures/{lectureId}/presence',
    handler: 'live/record-presence',
    access: ['learner'],
    params: lectureIdParams,
    summary: 'A heartbeat while watching: adds the time since the last one to the learner’s presence',
    body: presenceBody,
    ...liveRoute,
    responses: { 200: presenceView },
  }),
  leaveLecture: route({
    method: 'POST',
    path: '/lectures/{lectureId}/leave',
    handler: 'live/leave-lecture',
    access: ['learner'],
    params: lectureIdParams,
    summary: 'Stops counting the learner’s presence (the seat stays theirs)',
    ...liveRoute,
    responses: { 200: presenceView },
  }),
  createChatToken: route({
    method: 'POST',
    path: '/lectures/{lectureId}/chat-token',
    handler: 'live/create-chat-token',
    access: watchers,
    params: lectureIdParams,
    summary: 'An IVS chat token for the lecture’s room: learners send, staff also moderate',
    body: chatTokenBody,
    ...liveRoute,
    responses: { 200: chatTokenView },
    ivs: ['ivschat:CreateChatToken'],
  }),
  createQuiz: route({
    method: 'POST',
    path: '/lectures/{lectureId}/quizzes',
    handler: 'live/create-quiz',
    access: lecturers,
    params: lectureIdParams,
    summary: 'Prepares a quiz; refused when its form on the channel would pass IVS’s 1 KB',
    body: createQuizBody,
    ...liveRoute,
    responses: { 201: createdQuizView },
  }),
  listQuizzes: route({
    method: 'GET',
    path: '/lectures/{lectureId}/quizzes',
    handler: 'live/list-quizzes',
    access: watchers,
    params: lectureIdParams,
    summary: 'The lecture’s quizzes: all of them with answers for staff, the sent ones without for learners',
    ...liveRoute,
    responses: { 200: quizList },
  }),
  sendQuiz: route({
    method: 'POST',
    path: '/lectures/{lectureId}/quizzes/{quizId}/send',
    handler: 'live/send-quiz',
    access: lecturers,
    params: quizIdParams,
    summary: 'Puts the quiz on the live channel as timed metadata, within IVS’s 5 calls a second',
    ...liveRoute,
    responses: { 200: quizSentView },
    ivs: ['ivs:PutMetadata'],
  }),
  answerQuiz: route({
    method: 'POST',
    path: '/lectures/{lectureId}/quizzes/{quizId}/answers',
    handler: 'live/answer-quiz',
    access: ['learner'],
    params: quizIdParams,
    summary: 'A learner’s one answer, before the deadline by the server’s clock',
    body: answerQuizBody,
    ...liveRoute,
    responses: { 201: answerView },
  }),
  getQuizResults: route({
    method: 'GET',
    path: '/lectures/{lectureId}/quizzes/{quizId}/results',
    handler: 'live/get-quiz-results',
    access: lecturers,
    params: quizIdParams,
    summary: 'Answers per option and the correct rate, as they come in',
    ...liveRoute,
    responses: { 200: quizResultsView },
  }),
  getAttendance: route({
    method: 'GET',
    path: '/lectures/{lectureId}/attendance',
    handler: 'live/get-attendance',
    access: lecturers,
    params: lectureIdParams,
    summary: 'Who joined, their presence time and attendance rate, and their quiz scores',
    ...liveRoute,
    responses: { 200: attendanceView },
  }),
} as const satisfies Record<string, RouteDef>;

/** Everyone a board may have: the domain then finds their part in the provision from the projection. */
const boardPeople = [
  'learner',
  'institution-manager',
  'instructor',
  'company-manager',
] as const satisfies readonly Role[];
/** Who writes on boards: staff notices, learners questions, both comments. */
const boardWriters = ['learner', 'institution-manager', 'instructor'] as const satisfies readonly Role[];
/** Every board route reads the projection (provisions, members, learners, contents) beside its own table. */
const boardRoute = { tables: { access: 'read', board: 'readWrite' } } as const satisfies Partial<RouteDef>;
const boardReadRoute = { tables: { access: 'read', board: 'read' } } as const satisfies Partial<RouteDef>;

/** The course boards: notices and Q&A per course provision (contracts/board.ts). */
export const boardRoutes = {
  createPost: route({
    method: 'POST',
    path: '/board-posts',
    handler: 'board/create-post',
    access: boardWriters,
    summary: 'Writes a notice (staff) or asks a question (learners, optionally at a moment of a video)',
    body: createPostBody,
    ...boardRoute,
    responses: { 201: postView },
  }),
  listPosts: route({
    method: 'GET',
    path: '/board-posts',
    handler: 'board/list-posts',
    access: boardPeople,
    summary: 'A provision’s notice or Q&A board, newest first, a page at a time',
    query: listPostsQuery,
    ...boardReadRoute,
    responses: { 200: postPage },
  }),
  listMyPosts: route({
    method: 'GET',
    path: '/me/board-posts',
    handler: 'board/list-my-posts',
    access: boardWriters,
    summary: 'The caller’s own posts across provisions, newest first',
    query: listMyPostsQuery,
    ...boardReadRoute,
    responses: { 200: postPage },
  }),
  getPost: route({
    method: 'GET',
    path: '/board-posts/{postId}',
    handler: 'board/get-post',
    access: boardPeople,
    params: postIdParams,
    summary: 'One post, counting the caller’s first read of it',
    ...boardRoute,
    responses: { 200: postView },
  }),
  updatePost: route({
    method: 'PATCH',
    path: '/board-posts/{postId}',
    handler: 'board/update-post',
    access: boardWriters,
    params: postIdParams,
    summary: 'Its author changes a post’s title or text',
    body: updatePostBody,
    ...boardRoute,
    responses: { 200: postView },
  }),
  deletePost: route({
    method: 'DELETE',
    path: '/board-posts/{postId}',
    handler: 'board/delete-post',
    access: boardWriters,
    params: postIdParams,
    summary: 'Removes a post: its author, or the institution’s staff',
    ...boardRoute,
    responses: { 204: null },
  }),
  createComment: route({
    method: 'POST',
    path: '/board-posts/{postId}/comments',
    handler: 'board/create-comment',
    access: boardWriters,
    params: postIdParams,
    summary: 'Answers a question: the provision’s learners and staff',
    body: commentBodySchema,
    ...boardRoute,
    responses: { 201: commentView },
  }),
  listComments: route({
    method: 'GET',
    path: '/board-posts/{postId}/comments',
    handler: 'board/list-comments',
    access: boardWriters,
    params: postIdParams,
    summary: 'A question’s answers, oldest first, a page at a time',
    query: listCommentsQuery,
    ...boardReadRoute,
    responses: { 200: commentPage },
  }),
  updateComment: route({
    method: 'PATCH',
    path: '/board-posts/{postId}/comments/{commentId}',
    handler: 'board/update-comment',
    access: boardWriters,
    params: commentIdParams,
    summary: 'Its author changes a comment’s text',
    body: commentBodySchema,
    ...boardRoute,
    responses: { 200: commentView },
  }),
  deleteComment: route({
    method: 'DELETE',
    path: '/board-posts/{postId}/comments/{commentId}',
    handler: 'board/delete-comment',
    access: boardWriters,
    params: commentIdParams,
    summary: 'Removes a comment: its author, or the institution’s staff',
    ...boardRoute,
    responses: { 204: null },
  }),
  acceptAnswer: route({
    method: 'PUT',
    path: '/board-posts/{postId}/accepted-answer',
    handler: 'board/accept-answer',
    access: lecturers,
    params: postIdParams,
    summary: 'Staff mark a comment as the question’s accepted answer',
    body: acceptAnswerBody,
    ...boardRoute,
    responses: { 200: postView },
  }),
  getQuestionMinutes: route({
    method: 'GET',
    path: '/contents/{contentId}/question-minutes',
    handler: 'board/get-question-minutes',
    access: lecturers,
    params: questionMinutesParams,
    summary: 'Questions pinned to a video, counted per minute of it, so staff see where learners get stuck',
    query: questionMinutesQuery,
    ...boardReadRoute,
    responses: { 200: questionMinutesView },
  }),
} as const satisfies Record<string, RouteDef>;

/** Notes on videos: a learner's own, read by nobody else (contracts/notes.ts). */
const notesRoute = { tables: { access: 'read', notes: 'readWrite' } } as const satisfies Partial<RouteDef>;

/** Certificates: each route reads its own table beside the projection (who manages what). */
const certificateRoute = {
  tables: { certificates: 'read', access: 'read' },
} as const satisfies Partial<RouteDef>;

/** The certificates domain's routes (contracts/certificates.ts). */
export const certificateRoutes = {
  listMyCertificates: route({
    method: 'GET',
    path: '/me/certificates',
    handler: 'certificates/list-my-certificates',
    access: 'signed-in',
    summary: 'The caller’s certificates of completion, newest first, a page at a time',
    query: listCertificatesQuery,
    ...certificateRoute,
    responses: { 200: certificatePage },
  }),
  listInstitutionCertificates: route({
    method: 'GET',
    path: '/certificates',
    handler: 'certificates/list-institution-certificates',
    access: ['institution-manager', 'instructor'],
    summary: 'An institution’s certificates, newest first, for its managers and instructors',
    query: listInstitutionCertificatesQuery,
    ...certificateRoute,
    responses: { 200: certificatePage },
  }),
  downloadCertificate: route({
    method: 'GET',
    path: '/certificates/{number}/download',
    handler: 'certificates/download-certificate',
    access: 'signed-in',
    summary:
      'A link, valid for a few minutes, to the certificate’s PDF: for its learner, their company’s manager and its institution',
    params: certificateNumberParams,
    ...certificateRoute,
    buckets: { certificates: 'read' },
    responses: { 200: certificateDownload },
  }),
  verifyCertificate: route({
    method: 'GET',
    path: '/certificates/{number}/verification',
    handler: 'certificates/verify-certificate',
    access: 'public',
    summary: 'Whether a certificate number is valid or revoked, for whom and what; nothing else',
    params: certificateNumberParams,
    tables: { certificates: 'read' },
    throttle: CERTIFICATES.verificationThrottle,
  }),
  verificationPage: route({
    method: 'GET',
    path: '/verify/{number}',
    handler: 'certificates/verification-page',
    access: 'public',
    summary: 'The verification page a certificate’s QR code opens (HTML)',
    params: certificateNumberParams,
    tables: { certificates: 'read' },
    throttle: CERTIFICATES.verificationThrottle,
  }),
  revokeCertificate: route({
    method: 'POST',
    path: '/certificates/{number}/revocation',
    handler: 'certificates/revoke-certificate',
    access: ['institution-manager'],
    summary: 'Revokes a certificate with a reason (its institution’s managers, once)',
    params: certificateNumberParams,
    body: revokeCertificateBody,
    tables: { certificates: 'readWrite', access: 'read' },
    publishes: true,
    responses: { 200: certificateView },
  }),
} as const satisfies Record<string, RouteDef>;

/** Notifications: a person's inbox and e-mail preferences, and the e-mails' unsubscribe link. */
export const notificationRoutes = {
  listNotifications: route({
    method: 'GET',
    path: '/me/notifications',
    handler: 'notifications/list-notifications',
    access: 'signed-in',
    summary: 'The caller’s notifications, newest first, a page at a time, with how many are unread',
    query: listNotificationsQuery,
    tables: { notifications: 'read' },
    responses: { 200: notificationPage },
  }),
  markNotificationsRead: route({
    method: 'POST',
    path: '/me/notifications/read',
    handler: 'notifications/mark-notifications-read',
    access: 'signed-in',
    summary: 'Marks the caller’s notifications read: those named, or every one up to the newest seen',
    body: markNotificationsReadBody,
    tables: { notifications: 'readWrite' },
    responses: { 200: markedRead },
  }),
  getNotificationPreferences: route({
    method: 'GET',
    path: '/me/notification-preferences',
    handler: 'notifications/get-notification-preferences',
    access: 'signed-in',
    summary: 'Which kinds of notification the caller gets by e-mail',
    tables: { notifications: 'read' },
    responses: { 200: notificationPreferences },
  }),
  updateNotificationPreferences: route({
    method: 'PATCH',
    path: '/me/notification-preferences',
    handler: 'notifications/update-notification-preferences',
    access: 'signed-in',
    summary: 'Turns e-mail of the kinds named on or off, leaving the others',
    body: updateNotificationPreferencesBody,
    tables: { notifications: 'readWrite' },
    responses: { 200: notificationPreferences },
  }),
  unsubscribePage: route({
    method: 'GET',
    path: '/unsubscribe/{token}',
    handler: 'notifications/unsubscribe-page',
    access: 'public',
    summary: 'The page an e-mail’s unsubscribe link opens: one button, no sign-in (HTML)',
    params: unsubscribeParams,
    tables: { notifications: 'read' },
    unsubscribeKey: true,
    throttle: NOTIFICATIONS.unsubscribeThrottle,
  }),
  unsubscribe: route({
    method: 'POST',
    path: '/unsubscribe/{token}',
    handler: 'notifications/unsubscribe',
    access: 'public',
    summary:
      'Stops e-mail of the link’s kind to its person: the page’s button, or a mail client’s one-click (RFC 8058)',
    params: unsubscribeParams,
    tables: { notifications: 'readWrite' },
    unsubscribeKey: true,
    throttle: NOTIFICATIONS.unsubscribeThrottle,
  }),
} as const satisfies Record<string, RouteDef>;

export const notesRoutes = {
  createNote: route({
    method: 'POST',
    path: '/notes',
    handler: 'notes/create-note',
    access: ['learner'],
    summary: 'Keeps a private note (text, a drawing or both) at a second of a video the learner watches',
    body: createNoteBody,
    ...notesRoute,
    responses: { 201: noteView },
  }),
  listNotes: route({
    method: 'GET',
    path: '/notes',
    handler: 'notes/list-notes',
    access: ['learner'],
    summary: 'The caller’s notes on a video, in time order, a page at a time',
    query: listNotesQuery,
    tables: { access: 'read', notes: 'read' },
    responses: { 200: notePage },
  }),
  exportNotes: route({
    method: 'GET',
    path: '/notes/export',
    handler: 'notes/export-notes',
    access: ['learner'],
    summary: 'The caller’s notes of a course as Markdown, by video and timestamp',
    query: exportNotesQuery,
    tables: { notes: 'read' },
  }),
  getNote: route({
    method: 'GET',
    path: '/notes/{noteId}',
    handler: 'notes/get-note',
    access: ['learner'],
    params: noteIdParams,
    summary: 'One of the caller’s notes (a deleted one as its tombstone)',
    tables: { notes: 'read' },
    responses: { 200: noteView },
  }),
  updateNote: route({
    method: 'PATCH',
    path: '/notes/{noteId}',
    handler: 'notes/update-note',
    access: ['learner'],
    params: noteIdParams,
    summary: 'Edits a note, keeping the version it replaces',
    body: updateNoteBody,
    tables: { notes: 'readWrite' },
    responses: { 200: noteView },
  }),
  deleteNote: route({
    method: 'DELETE',
    path: '/notes/{noteId}',
    handler: 'notes/delete-note',
    access: ['learner'],
    params: noteIdParams,
    summary: 'Deletes a note, leaving a tombstone and its versions',
    tables: { notes: 'readWrite' },
    responses: { 204: null },
  }),
  listNoteVersions: route({
    method: 'GET',
    path: '/notes/{noteId}/versions',
    handler: 'notes/list-note-versions',
    access: ['learner'],
    params: noteIdParams,
    summary: 'The versions a note’s edits and delete replaced, oldest first, a page at a time',
    query: listNoteVersionsQuery,
    tables: { notes: 'read' },
    responses: { 200: noteVersionPage },
  }),
} as const satisfies Record<string, RouteDef>;
/**
 * Invitations by e-mail: the users table says who manages which company or institution, Cognito gets the
 * accounts, and the bus carries `users.invited` to the core, which affiliates the invitees.
 */
const invitationRoute = {
  tables: { users: 'read' },
  cognito: ['cognito-idp:AdminCreateUser', 'cognito-idp:AdminGetUser', 'cognito-idp:AdminAddUserToGroup'],
  publishes: true,
  // A hundred rows of a few Cognito calls each, four at a time: seconds, unless Cognito slows down.
  timeoutSeconds: 29,
} as const satisfies Partial<RouteDef>;

export const routes = {
  getMe: route({
    method: 'GET',
    path: '/me',
    handler: 'users/get-me',
    access: 'signed-in',
    summary: 'The signed-in user: sub, e-mail and roles',
    responses: { 200: meView },
  }),
  getProfile: route({
    method: 'GET',
    path: '/me/profile',
    handler: 'users/get-profile',
    access: 'signed-in',
    summary: 'The caller’s profile: name, phone and locale as their account holds them',
    cognito: ['cognito-idp:AdminGetUser'],
    responses: { 200: profileView },
  }),
  updateProfile: route({
    method: 'PATCH',
    path: '/me/profile',
    handler: 'users/update-profile',
    access: 'signed-in',
    summary: 'Changes the caller’s name, phone (E.164) or locale (ko, en)',
    body: updateProfileBody,
    cognito: ['cognito-idp:AdminUpdateUserAttributes', 'cognito-idp:AdminGetUser'],
    responses: { 200: profileView },
  }),
  inviteEmployees: route({
    method: 'POST',
    path: '/invitations/employees',
    handler: 'users/invite-employees',
    access: ['company-manager'],
    summary: 'Invites employees by e-mail into a company the caller manages, one or many (JSON or CSV)',
    body: inviteEmployeesBody,
    ...invitationRoute,
  }),
  inviteInstructors: route({
    method: 'POST',
    path: '/invitations/instructors',
    handler: 'users/invite-instructors',
    access: ['institution-manager'],
    summary: 'Invites instructors by e-mail into an institution the caller manages, one or many',
    body: inviteInstructorsBody,
    ...invitationRoute,
  }),
  startLogin: route({
    method: 'GET',
    path: '/auth/login',
    handler: 'auth/start-login',
    access: 'public',
    summary: 'Redirects the browser to the sign-in page (authorization code with PKCE)',
    query: z.strictObject({
      returnTo: returnTo.optional(),
      /** Pre-selects a federated provider (Google or an OIDC name from the config). */
      provider: z
        .string()
        .regex(/^[A-Za-z0-9_-]{1,32}$/)
        .optional(),
    }),
    tables: { authFlow: 'readWrite' },
    oauth: true,
  }),
  completeLogin: route({
    method: 'GET',
    path: '/auth/callback',
    handler: 'auth/complete-login',
    access: 'public',
    summary: 'Exchanges the authorization code and sets the session cookies',
    query: z.union([
      z.object({ code: z.string().min(1).max(2048), state: z.string().min(1).max(128) }),
      z.object({
        error: z.string().max(256),
        error_description: z.string().max(1024).optional(),
        state: z.string().max(128).optional(),
      }),
    ]),
    tables: { authFlow: 'readWrite' },
    oauth: true,
  }),
  refreshSession: route({
    method: 'POST',
    path: '/auth/refresh',
    handler: 'auth/refresh-session',
    access: 'public',
    summary: 'Renews the access cookie from the refresh cookie',
    responses: { 204: null },
    oauth: true,
  }),
  endSession: route({
    method: 'POST',
    path: '/auth/logout',
    handler: 'auth/end-session',
    access: 'public',
    summary: 'Revokes the refresh token, ends the access token’s session for the API and clears the cookies',
    tables: { authFlow: 'readWrite' },
    oauth: true,
    verifiesTokens: true,
  }),
  startUpload: route({
    method: 'POST',
    path: '/uploads',
    handler: 'vod/start-upload',
    access: uploaders,
    summary: 'Starts a multipart upload of a video or material file for a content the caller manages',
    body: startUploadBody,
    responses: { 201: startedUploadView },
    ...uploadRoute,
  }),
  presignUploadParts: route({
    method: 'GET',
    path: '/uploads/{uploadId}/part-urls',
    handler: 'vod/presign-upload-parts',
    access: uploaders,
    params: uploadIdParams,
    summary: 'Presigned PUT URLs for a range of the upload’s parts',
    query: partUrlsQueryString,
    responses: { 200: partUrlsView },
    ...uploadRoute,
  }),
  listUploadParts: route({
    method: 'GET',
    path: '/uploads/{uploadId}/parts',
    handler: 'vod/list-upload-parts',
    access: uploaders,
    params: uploadIdParams,
    summary: 'The parts S3 already holds, to resume an interrupted upload',
    responses: { 200: uploadedPartsView },
    ...uploadRoute,
  }),
  completeUpload: route({
    method: 'POST',
    path: '/uploads/{uploadId}/complete',
    handler: 'vod/complete-upload',
    access: uploaders,
    params: uploadIdParams,
    summary: 'Assembles the file from its parts; refused parts abort the upload',
    body: completeUploadBody,
    responses: { 200: completedUploadView },
    ...uploadRoute,
  }),
  abortUpload: route({
    method: 'DELETE',
    path: '/uploads/{uploadId}',
    handler: 'vod/abort-upload',
    access: uploaders,
    params: uploadIdParams,
    summary: 'Abandons an upload and deletes its parts',
    responses: { 204: null },
    ...uploadRoute,
  }),
  startPlayback: route({
    method: 'POST',
    path: '/contents/{contentId}/playback',
    handler: 'vod/start-playback',
    access: watchers,
    params: contentIdParams,
    summary: 'Signed cookies that open one video’s renditions for a few minutes, and its playlist URL',
    tables: { access: 'read' },
    signsPlayback: true,
    feature: 'video',
    responses: { 200: playbackView },
  }),
  getMaterialDownload: route({
    method: 'GET',
    path: '/contents/{contentId}/download',
    handler: 'vod/get-material-download',
    access: watchers,
    params: contentIdParams,
    summary: 'A presigned URL, valid for a few minutes, for a material’s file',
    tables: { access: 'read' },
    buckets: { upload: 'read' },
    feature: 'video',
    responses: { 200: materialDownloadView },
  }),
  ...liveRoutes,
  ...boardRoutes,
  ...notesRoutes,
  ...certificateRoutes,
  ...notificationRoutes,
} as const satisfies Record<string, RouteDef>;

export type RouteId = keyof typeof routes;
export const routeList: ReadonlyArray<RouteDef & { id: RouteId }> = Object.entries(routes).map(([id, r]) => ({
  ...r,
  id: id as RouteId,
}));
