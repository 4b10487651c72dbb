import { notesRoutes } from '#contracts/routes';
import { idempotencyKeyOf } from '../shared/create-guard';
import { httpHandler } from '../shared/http-handler';
import { notesDeps } from './notes-deps';
import { createNote } from './notes';

const deps = notesDeps();

// A retry with the same Idempotency-Key answers 201 with the first attempt's note, like the first answer,
// so a client that lost that answer handles the retry's the same way.
export const handler = httpHandler(notesRoutes.createNote, async ({ identity, body, headers }) => ({
  status: 201,
  body: await createNote(deps, identity, body, idempotencyKeyOf(headers)),
}));
