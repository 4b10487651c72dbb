import { readFileSync } from 'node:fs';
import autocannon from 'autocannon';

/**
 * The heartbeat load for bench/core-api, in its own process: every request is a real player's next beat
 * (one tab per learner, sequence rising, playhead moving with the wall clock), so the service credits
 * time on the full path instead of answering stale beats. Prints autocannon's result as JSON.
 */
interface Plan {
  readonly url: string;
  readonly contentId: string;
  readonly learners: readonly { readonly token: string; readonly enrollmentId: string }[];
  readonly connections: number;
  readonly seconds: number;
  /** The first sequence number: above the previous run's, so its beats are not taken for late ones. */
  readonly sequenceStart: number;
}

const plan = JSON.parse(readFileSync(process.argv[2]!, 'utf8')) as Plan;
const start = Date.now();
let next = 0;
const sequences = plan.learners.map(() => plan.sequenceStart);

autocannon(
  {
    url: plan.url,
    connections: plan.connections,
    duration: plan.seconds,
    requests: [
      {
        method: 'POST',
        setupRequest: (req) => {
          const i = next++ % plan.learners.length;
          const learner = plan.learners[i]!;
          sequences[i]! += 1;
          return {
            ...req,
            path: `/me/enrollments/${learner.enrollmentId}/heartbeats`,
            headers: { cookie: `lms_access=${learner.token}`, 'content-type': 'application/json' },
            body: JSON.stringify({
              contentId: plan.contentId,
              sessionId: 'bench-tab',
              sequence: sequences[i],
              position: (Date.now() - start) / 1000,
              playbackRate: 1,
            }),
          };
        },
      },
    ],
  },
  (error, result) => {
    if (error) throw error;
    process.stdout.write(JSON.stringify(result));
  },
);
