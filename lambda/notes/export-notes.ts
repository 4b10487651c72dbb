import { notesRoutes } from '#contracts/routes';
import { httpHandler } from '../shared/http-handler';
import { notesDeps } from './notes-deps';
import { exportNotes } from './notes';

const deps = notesDeps();

export const handler = httpHandler(notesRoutes.exportNotes, async ({ identity, query }) => ({
  status: 200,
  headers: {
    'content-type': 'text/markdown; charset=utf-8',
    'content-disposition': `attachment; filename="notes-${query.courseId}.md"`,
    'cache-control': 'no-store',
  },
  text: await exportNotes(deps, identity, query.courseId),
}));
