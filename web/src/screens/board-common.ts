import type { paths } from '../api/schema';

/*
 * What the course boards' screens share (the learner's board and post pages, the console's Q&A): the answers'
 * types from the generated schema, and the paths.
 */

type Json<T> = T extends { content: { 'application/json': infer B } } ? B : never;

export type Post = Json<paths['/board-posts/{postId}']['get']['responses'][200]>;
export type Comment = Json<
  paths['/board-posts/{postId}/comments']['get']['responses'][200]
>['comments'][number];
export type QuestionMinutes = Json<paths['/contents/{contentId}/question-minutes']['get']['responses'][200]>;

export const boardPath = (enrollmentId: string) => `/learn/${enrollmentId}/board`;
export const postPath = (enrollmentId: string, postId: string) => `/learn/${enrollmentId}/board/${postId}`;

/** `m:ss`, `h:mm:ss` or plain seconds back to seconds; undefined when it is none of them. */
export function parseClock(text: string): number | undefined {
  const [first = '', ...rest] = text.trim().split(':');
  if (rest.length > 2 || !/^\d{1,5}$/.test(first) || rest.some((p) => !/^\d{2}$/.test(p))) return undefined;
  const later = rest.map(Number);
  if (later.some((n) => n > 59)) return undefined;
  return later.reduce((total, n) => total * 60 + n, Number(first));
}
