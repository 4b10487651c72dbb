import { setTimeout as delay } from 'node:timers/promises';
import { documentClient } from '../shared/clients';
import { readEnv } from '../shared/env';
import type { BoardDeps } from './board-records';

/** The board handlers' clients and settings, built once per execution environment. */
export function boardDeps(): BoardDeps {
  const { accessTable, boardTable } = readEnv('accessTable', 'boardTable');
  return {
    ddb: documentClient(),
    accessTable,
    boardTable,
    now: () => new Date(),
    sleep: (ms) => delay(ms),
    random: Math.random,
  };
}
