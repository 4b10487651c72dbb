import { setTimeout as delay } from 'node:timers/promises';
import { IvsClient } from '@aws-sdk/client-ivs';
import { documentClient } from '../shared/clients';
import { readEnv } from '../shared/env';
import { tracer } from '../shared/tracer';
import type { QuizDeps } from './quizzes';

/**
 * The quiz routes' clients and settings, built once per execution environment. The IVS client makes one
 * attempt per call: the channel's limiter retries a throttled PutMetadata in a slot of its own, which the
 * SDK's backoff would not respect.
 */
export function quizDeps(): QuizDeps {
  const { accessTable, liveTable } = readEnv('accessTable', 'liveTable');
  return {
    ddb: documentClient(),
    accessTable,
    liveTable,
    ivs: tracer.captureAWSv3Client(new IvsClient({ maxAttempts: 1 })),
    now: () => new Date(),
    sleep: (ms) => delay(ms),
  };
}
