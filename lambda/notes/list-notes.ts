import { notesRoutes } from '#contracts/routes';
import { httpHandler } from '../shared/http-handler';
import { notesDeps } from './notes-deps';
import { listNotes } from './notes';

const deps = notesDeps();

export const handler = httpHandler(notesRoutes.listNotes, async ({ identity, query }) => ({
  status: 200,
  body: await listNotes(deps, identity, query),
}));
