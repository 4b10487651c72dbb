import { notesRoutes } from '#contracts/routes';
import { httpHandler } from '../shared/http-handler';
import { notesDeps } from './notes-deps';
import { listVersions } from './notes';

const deps = notesDeps();

export const handler = httpHandler(notesRoutes.listNoteVersions, async ({ identity, params, query }) => ({
  status: 200,
  body: await listVersions(deps, identity, params.noteId, query),
}));
