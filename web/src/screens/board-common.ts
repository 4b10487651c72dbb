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

/** `m:ss` or `h:mm:ss` back to seconds; undefined when it is not one. */
export function parseClock(text: string): number | undefined {
  const parts = text.trim().split(':');
  if (parts.length < 1 || parts.length > 3 || parts.some((p) => !/^\d{1,2}$/.test(p))) return undefined;
  const [a = 0, b = 0, c = 0] = parts.map(Number).reverse();
  if (parts.length > 1 && a > 59) return undefined;
  if (parts.length > 2 && b > 59) return undefined;
  return a + b * 60 + c * 3600;
}
