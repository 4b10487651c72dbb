import { notesRoutes } from '#contracts/routes';
import { httpHandler } from '../shared/http-handler';
import { notesDeps } from './notes-deps';
import { createNote } from './notes';

const deps = notesDeps();

export const handler = httpHandler(notesRoutes.createNote, async ({ identity, body }) => ({
  status: 201,
  body: await createNote(deps, identity, body),
}));
