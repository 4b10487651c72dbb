import { setTimeout as delay } from 'node:timers/promises';
import { documentClient } from '../shared/clients';
import { readEnv, readOptionalEnv } from '../shared/env';
import type { NotesDeps } from './notes';

/**
 * The notes handlers' clients and settings, built once per execution environment. Routes that never look at
 * the access projection are given no access table, so it is read only where a route needs it.
 */
export function notesDeps(): NotesDeps {
  const { notesTable } = readEnv('notesTable');
  return {
    ddb: documentClient(),
    accessTable: readOptionalEnv('accessTable') ?? '',
    notesTable,
    now: () => new Date(),
    sleep: (ms) => delay(ms),
    random: Math.random,
  };
}
