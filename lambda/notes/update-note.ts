import { notesRoutes } from '#contracts/routes';
import { httpHandler } from '../shared/http-handler';
import { notesDeps } from './notes-deps';
import { updateNote } from './notes';

const deps = notesDeps();

export const handler = httpHandler(notesRoutes.updateNote, async ({ identity, params, body }) => ({
  status: 200,
  body: await updateNote(deps, identity, params.noteId, body),
}));
