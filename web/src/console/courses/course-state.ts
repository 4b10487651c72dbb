import type { Messages } from '../../i18n';

export type CourseState = 'draft' | 'published' | 'archived';

/** A course's state in words, for the list and the builder alike. */
export const courseStateMessages: Messages<CourseState> = {
  ko: { draft: '작성 중', published: '게시됨', archived: '보관됨' },
  en: { draft: 'Draft', published: 'Published', archived: 'Archived' },
};
