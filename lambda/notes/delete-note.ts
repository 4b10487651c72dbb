import { notesRoutes } from '#contracts/routes';
import { httpHandler } from '../shared/http-handler';
import { notesDeps } from './notes-deps';
import { deleteNote } from './notes';

const deps = notesDeps();

export const handler = httpHandler(notesRoutes.deleteNote, async ({ identity, params }) => {
  await deleteNote(deps, identity, params.noteId);
  return { status: 204 };
});
