import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import type { Identity } from '#contracts/access-token';
import { COMPLIANCE_PROFILES } from '#contracts/compliance-profiles';
import { MAX_BEAT_GAP_SECONDS, recordHeartbeat } from '#service/learning/progress';
import { seedProvision, seedVideoCourse } from '../seed';
import { testDatabase, type TestDatabase } from '../test-database';

// Korea is UTC+9 all year: 15:00 UTC is its midnight, where the day a run counts in changes.
const kr = COMPLIANCE_PROFILES['kr-employer-training'];
const T0 = new Date('2026-12-10T00:00:00Z');
const at = (s: number) => new Date(T0.getTime() + s * 1000);
const MIDNIGHT = 15 * 3600;

let t: TestDatabase;
let courseId: string;
let provisionId: string;
let videos: string[];

beforeAll(async () => {
  t = await testDatabase('audit_runs');
  const { institutionId, ...seeded } = await seedVideoCourse(t.db, { videos: 3, ready: true });
  ({ courseId, videoIds: videos } = seeded);
  ({ provisionId } = await seedProvision(t.db, {
    institutionId,
    courseId,
    startsOn: '2026-12-01',
    endsOn: '2027-02-28',
  }));
});
afterAll(() => t.close());

async function enrolled(): Promise<{ learner: Identity; enrollmentId: string }> {
  const learner: Identity = { sub: randomUUID(), email: undefined, roles: ['learner'] };
  const e = await t.db
    .insertInto('enrollments')
    .values({ provision_id: provisionId, course_id: courseId, user_sub: learner.sub })
    .returning('id')
    .executeTakeFirstOrThrow();
  return { learner, enrollmentId: e.id };
}

function player(learner: Identity, enrollmentId: string, contentId = videos[0]!, sessionId = randomUUID()) {
  let sequence = 0;
  return (position: number, atSecond: number, playbackRate = 1) =>
    recordHeartbeat(
      t.db,
      learner,
      enrollmentId,
      { contentId, sessionId, sequence: ++sequence, position, playbackRate },
      kr,
      at(atSecond),
    );
}

const runsOf = async (enrollmentId: string) =>
  (
    await t.db
      .selectFrom('learning_audit')
      .select(['id', 'content_id', 'detail', 'at'])
      .where('enrollment_id', '=', enrollmentId)
      .where('kind', '=', 'credit')
      .orderBy('at')
      .execute()
  ).map((r) => ({ ...r, detail: r.detail as Record<string, unknown> }));

/** One credited run: beats from `from` every 10 s to `to` (positions = seconds after `start`). */
async function watch(beat: ReturnType<typeof player>, start: number, from: number, to: number) {
  for (let s = from; s <= to; s += 10) await beat(s - start, s);
}

describe('viewing runs in the audit trail', () => {
  it('opens a run at the first credited beat and extends it with every beat that continues it', async () => {
    const { learner, enrollmentId } = await enrolled();
    const beat = player(learner, enrollmentId);
    await watch(beat, 0, 0, 120);
    // A pause within the tolerated gap continues the run; the positions skipped by the pause are not covered.
    await beat(120 + MAX_BEAT_GAP_SECONDS, 120 + MAX_BEAT_GAP_SECONDS);
    const [run, ...more] = await runsOf(enrollmentId);
    expect(more).toEqual([]);
    expect(run!.at).toEqual(at(10));
    expect(run!.detail).toEqual({
      seconds: 120 + MAX_BEAT_GAP_SECONDS,
      beats: 13,
      covered: [[0, 120 + MAX_BEAT_GAP_SECONDS]],
      endedAt: expect.any(String),
      day: '2026-12-10',
      sessionIds: [expect.any(String)],
      playbackRates: [1],
      maxBeatGapSeconds: MAX_BEAT_GAP_SECONDS,
    });
    expect(new Date(run!.detail.endedAt as string)).toEqual(at(120 + MAX_BEAT_GAP_SECONDS));
  });

  it('opens the next run after a longer gap, on another content and at the day’s midnight', async () => {
    const { learner, enrollmentId } = await enrolled();
    const first = player(learner, enrollmentId);
    await watch(first, 0, 0, 60);
    // A gap of more than the tolerated one: the player resumes in a new run.
    await watch(first, 1000 - 60, 1000, 1060);
    const other = player(learner, enrollmentId, videos[1]);
    await watch(other, 1070, 1070, 1100);
    // Across Korea's midnight: the second half counts in the next day.
    const late = player(learner, enrollmentId, videos[2]);
    await watch(late, MIDNIGHT - 30, MIDNIGHT - 30, MIDNIGHT + 30);
    const runs = await runsOf(enrollmentId);
    expect(runs.map((r) => [r.content_id, r.at, r.detail.seconds, r.detail.beats, r.detail.day])).toEqual([
      [videos[0], at(10), 60, 6, '2026-12-10'],
      [videos[0], at(1010), 60, 6, '2026-12-10'],
      [videos[1], at(1080), 30, 3, '2026-12-10'],
      [videos[2], at(MIDNIGHT - 20), 20, 2, '2026-12-10'],
      [videos[2], at(MIDNIGHT), 40, 4, '2026-12-11'],
    ]);
    // The resumed run covers from where the player resumed, its first (uncredited) beat.
    expect(runs[1]!.detail.covered).toEqual([[60, 120]]);
  });

  it('keeps both tabs and every rate of a content in its run', async () => {
    const { learner, enrollmentId } = await enrolled();
    const a = player(learner, enrollmentId);
    const b = player(learner, enrollmentId);
    await a(0, 0);
    await b(300, 1);
    await a(10, 10);
    await b(322, 11, 2);
    await a(20, 20);
    await b(342, 21, 2);
    const [run, ...more] = await runsOf(enrollmentId);
    expect(more).toEqual([]);
    // The viewing clock credits the two tabs once: 10 s by a, then 1 s of b's, 9 s of a's, 1 s of b's.
    expect(run!.detail).toMatchObject({ seconds: 21, beats: 4, playbackRates: [1, 2] });
    expect(run!.detail.sessionIds).toHaveLength(2);
    const progress = await t.db
      .selectFrom('content_progress')
      .select(sql<string>`covered::text`.as('covered'))
      .where('enrollment_id', '=', enrollmentId)
      .executeTakeFirstOrThrow();
    expect(
      (
        await sql<{ same: boolean }>`
          select learning_audit_covered(${JSON.stringify(run!.detail)}::jsonb) = ${progress.covered}::int4multirange
            as same`.execute(t.db)
      ).rows[0]!.same,
    ).toBe(true);
  });
  it('lets a beat that lost the race for the clock join the run, and one older than the run open its own', async () => {
    const { learner, enrollmentId } = await enrolled();
    const beat = player(learner, enrollmentId);
    await watch(beat, 0, 0, 30);
    /** A credit as record_heartbeat makes it, timed `s` seconds after T0. */
    const credit = (s: number, from: number) =>
      sql`select learning_audit_credit(${enrollmentId}::uuid, ${learner.sub}, ${videos[0]!}::uuid, 'late-tab',
            1, ${at(s)}::timestamptz, '2026-12-10'::date, ${from}, 5, ${MAX_BEAT_GAP_SECONDS})`.execute(t.db);
    await credit(25, 100);
    await credit(5, 200);
    const [early, run, ...more] = await runsOf(enrollmentId);
    expect(more).toEqual([]);
    expect(run!.at).toEqual(at(10));
    expect(run!.detail).toMatchObject({
      seconds: 35,
      beats: 4,
      covered: [
        [0, 30],
        [100, 105],
      ],
    });
    expect(new Date(run!.detail.endedAt as string)).toEqual(at(30));
    expect(early!.at).toEqual(at(5));
    expect(early!.detail).toMatchObject({ seconds: 5, beats: 1, covered: [[200, 205]] });
  });
});

describe('what the trigger lets change', () => {
  let enrollmentId: string;
  let runs: Awaited<ReturnType<typeof runsOf>>;
  beforeAll(async () => {
    const e = await enrolled();
    enrollmentId = e.enrollmentId;
    const beat = player(e.learner, enrollmentId);
    await watch(beat, 0, 0, 30);
    await watch(beat, 500 - 30, 500, 530);
    runs = await runsOf(enrollmentId);
    expect(runs).toHaveLength(2);
  });

  /** Sets a run's detail to `change` merged into it, as the owner (the service's role may not update at all). */
  const grow = (run: (typeof runs)[number], change: Record<string, unknown>) =>
    sql`update learning_audit set detail = detail || ${JSON.stringify(change)}::jsonb
        where id = ${run.id} and at = ${run.at}`.execute(t.db);
  const endedPlus = (run: (typeof runs)[number], s: number) =>
    new Date(new Date(run.detail.endedAt as string).getTime() + s * 1000).toISOString();

  it('lets the latest run grow: later end within its gap, more seconds and beats, more positions', async () => {
    const run = runs[1]!;
    await grow(run, {
      seconds: 40,
      beats: 5,
      // It covered 30 to 60: the gap before it started a new run at the playhead, where nothing was earned.
      covered: [[0, 60]],
      endedAt: endedPlus(run, 10),
      sessionIds: [...(run.detail.sessionIds as string[]), 'another-tab'],
    });
    const [, grown] = await runsOf(enrollmentId);
    expect(grown!.detail).toMatchObject({ seconds: 40, beats: 5, covered: [[0, 60]] });
    runs[1] = grown!;
  });

  type Run = (typeof runs)[number];
  /** A growth the trigger allows; each refusal below differs from it in one thing. */
  const allowed = (r: Run) => ({ seconds: 99, beats: 9, endedAt: endedPlus(r, 10), covered: [[0, 60]] });

  it.each([
    ['fewer seconds', () => ({ seconds: 39 })],
    ['as many beats', () => ({ beats: 5 })],
    ['an earlier end', (r: Run) => ({ endedAt: endedPlus(r, -5) })],
    ['an end past its gap', (r: Run) => ({ endedAt: endedPlus(r, MAX_BEAT_GAP_SECONDS + 1) })],
    ['lost positions', () => ({ covered: [[31, 60]] })],
    ['another day', () => ({ day: '2026-12-11' })],
    ['a lost tab', () => ({ sessionIds: [] })],
    ['a lost rate', () => ({ playbackRates: [2] })],
    ['another gap', () => ({ maxBeatGapSeconds: 3600 })],
    ['a new key', () => ({ note: 'x' })],
  ])('refuses a latest run with %s', async (_, change) => {
    const run = runs[1]!;
    await expect(grow(run, { ...allowed(run), ...change(run) })).rejects.toThrow(/append-only/);
  });

  it('allows, after those refusals, the growth they differed from', async () => {
    await grow(runs[1]!, allowed(runs[1]!));
    expect((await runsOf(enrollmentId))[1]!.detail).toMatchObject({ seconds: 99, beats: 9 });
  });

  it('refuses moving a run or giving it to another content', async () => {
    const run = runs[1]!;
    await expect(
      sql`update learning_audit set at = at - interval '1 second' where id = ${run.id}`.execute(t.db),
    ).rejects.toThrow(/append-only/);
    await expect(
      sql`update learning_audit set content_id = ${videos[1]!}::uuid where id = ${run.id}`.execute(t.db),
    ).rejects.toThrow(/append-only/);
  });

  it('refuses to extend a run closed by a later one, however little', async () => {
    const run = runs[0]!;
    await expect(
      grow(run, { seconds: 31, beats: 4, endedAt: endedPlus(run, 1), covered: [[0, 31]] }),
    ).rejects.toThrow(/append-only/);
  });

  it('refuses any change to other entries, and every delete', async () => {
    await sql`insert into learning_audit (enrollment_id, user_sub, kind, content_id, detail)
      select ${enrollmentId}::uuid, user_sub, 'credit', ${videos[1]!}::uuid,
        '{"seconds": 10, "from": 0, "to": 10, "sessionId": "s", "playbackRate": 1}'
      from enrollments where id = ${enrollmentId}::uuid`.execute(t.db);
    await expect(
      sql`update learning_audit set detail = detail || '{"seconds": 20}'
          where enrollment_id = ${enrollmentId}::uuid and content_id = ${videos[1]!}::uuid`.execute(t.db),
    ).rejects.toThrow(/append-only/);
    await expect(sql`delete from learning_audit where id = ${runs[1]!.id}`.execute(t.db)).rejects.toThrow(
      /append-only/,
    );
    expect(await runsOf(enrollmentId)).toHaveLength(3);
  });
});
