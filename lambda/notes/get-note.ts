import { notesRoutes } from '#contracts/routes';
import { httpHandler } from '../shared/http-handler';
import { notesDeps } from './notes-deps';
import { readNote } from './notes';

const deps = notesDeps();

export const handler = httpHandler(notesRoutes.getNote, async ({ identity, params }) => ({
  status: 200,
  body: await readNote(deps, identity, params.noteId),
}));
