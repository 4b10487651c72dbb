import { mkdtemp, readdir, copyFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import type { Identity } from '#contracts/access-token';
import { COMPLIANCE_PROFILES } from '#contracts/compliance-profiles';
import { MIGRATIONS_DIR, migrateToLatest } from '#service/db/migrate';
import { dayIn } from '#service/learning/days';
import { MAX_BEAT_GAP_SECONDS, recordHeartbeat, type BeatResult } from '#service/learning/progress';
import { exportedDetail, learnerAudit } from '#service/learning/records';
import { closeIdleViewingRuns } from '#service/learning/viewing-runs';
import { platformAdmin, seedProvision, seedVideoCourse } from '../seed';
import { testDatabase, type TestDatabase } from '../test-database';
import { seededRandom } from '../seeded-random';

/*
 * The audit export reproduces every credited second, whether the trail holds one row per credited beat (before
 * migration 0017) or one per viewing run (after), and across the migration. Two databases take the same
 * randomized heartbeats: `perBeat` starts with the migrations before 0017 (its record_heartbeat writes a row
 * per credit) and is migrated half-way; `runs` has every migration from the start. Each beat must be credited
 * alike in both; then each database's export must give, per content and day, the seconds its per-beat trail
 * (or the beats' answers) gave, cover exactly the positions content_progress holds, and date each content's
 * first credit alike. Runs still open (in content_progress, not yet in the trail) count in the export at once;
 * closing them (close_idle_viewing_runs) changes nothing it says. A third round sends the beats of many
 * learners, and of each learner's two tabs, at once, with the idle-run closer racing them.
 */

// Korea's days: the beats straddle its midnight (15:00 UTC), where a run must end.
const profile = COMPLIANCE_PROFILES['kr-employer-training'];
const START = new Date('2026-12-10T14:40:00Z').getTime();
const LEARNERS = 6;
const CONTENTS = 3;
const RUNS_MIGRATION = '0017_audit_viewing_runs.sql';

interface Beat {
  readonly learner: number;
  readonly content: number;
  readonly sessionId: string;
  readonly sequence: number;
  readonly position: number;
  readonly playbackRate: number;
  readonly at: number;
}

/**
 * One learner's beats from two tabs, in time order: steady beats every 5-15 s at 1x, 1.5x or 2x, pauses
 * within and beyond the tolerated gap, seeks both ways, switches of content, resent beats (a retry with the
 * same sequence number) and late ones (an older sequence arriving after a newer one).
 */
function script(learner: number, seed: number, beatsPerTab: number, from: number): Beat[] {
  const next = seededRandom(seed);
  const beats: Beat[] = [];
  for (const tab of [0, 1]) {
    let at = from + Math.floor(next() * 60_000);
    let content = Math.floor(next() * CONTENTS);
    let position = Math.floor(next() * 300);
    let rate = 1;
    let sequence = 0;
    const sessionId = `learner${learner}-tab${tab}-${seed}`;
    for (let i = 0; i < beatsPerTab; i++) {
      const roll = next();
      if (roll < 0.06) at += 61_000 + Math.floor(next() * 600_000);
      else if (roll < 0.12) at += 20_000 + Math.floor(next() * 40_000);
      else at += 5_000 + Math.floor(next() * 10_000);
      const step = next();
      if (step < 0.05) content = (content + 1) % CONTENTS;
      if (step < 0.1) position = Math.floor(next() * 500);
      else if (step < 0.14) position = Math.max(0, position - 30);
      else if (step < 0.17) position += 40;
      else position += 10 * rate;
      if (next() < 0.1) rate = [1, 1.5, 2][Math.floor(next() * 3)]!;
      position = Math.min(position, 600);
      const beat = { learner, content, sessionId, sequence: ++sequence, position, playbackRate: rate, at };
      beats.push(beat);
      const again = next();
      // A retry: the same beat again, a moment later.
      if (again < 0.05) beats.push({ ...beat, at: at + 300 });
      // A late beat: the previous one arrives after this one.
      else if (again < 0.08 && i > 0) beats.push({ ...beats[beats.length - 2]!, at: at + 300 });
    }
  }
  return beats.sort((a, b) => a.at - b.at);
}

interface Side {
  readonly t: TestDatabase;
  readonly provisionId: string;
  readonly videos: string[];
  readonly enrollments: string[];
  /** Per enrollment, content and day: the seconds the beats' answers credited. */
  readonly answered: Map<string, number>;
  /** Has migration 0017: the service's export reads its open runs too. */
  runs: boolean;
}

const learnerOf = (i: number): Identity => ({
  sub: `proof-learner-${i}`,
  email: undefined,
  roles: ['learner'],
});
const admin = platformAdmin('proof-admin');

async function side(t: TestDatabase): Promise<Side> {
  const { institutionId, courseId, videoIds } = await seedVideoCourse(t.db, {
    videos: CONTENTS,
    ready: true,
  });
  const { provisionId } = await seedProvision(t.db, {
    institutionId,
    courseId,
    startsOn: '2026-12-01',
    endsOn: '2027-02-28',
  });
  const enrollments: string[] = [];
  for (let i = 0; i < LEARNERS; i++) {
    const e = await t.db
      .insertInto('enrollments')
      .values({ provision_id: provisionId, course_id: courseId, user_sub: learnerOf(i).sub })
      .returning('id')
      .executeTakeFirstOrThrow();
    enrollments.push(e.id);
  }
  return { t, provisionId, videos: videoIds, enrollments, answered: new Map(), runs: true };
}

const key = (enrollment: number, content: number, day: string) => `${enrollment}/${content}/${day}`;

async function send(s: Side, beat: Beat): Promise<BeatResult> {
  const now = new Date(beat.at);
  const result = await recordHeartbeat(
    s.t.db,
    learnerOf(beat.learner),
    s.enrollments[beat.learner]!,
    {
      contentId: s.videos[beat.content]!,
      sessionId: beat.sessionId,
      sequence: beat.sequence,
      position: beat.position,
      playbackRate: beat.playbackRate,
    },
    profile,
    now,
  );
  const k = key(beat.learner, beat.content, dayIn(now, profile.timeZone));
  s.answered.set(k, (s.answered.get(k) ?? 0) + result.creditedSeconds);
  return result;
}

type Intervals = Array<[number, number]>;

/** The union of half-open intervals, merged and sorted (as int4multirange normalizes). */
function union(intervals: Intervals): Intervals {
  const merged: Intervals = [];
  for (const [lo, hi] of [...intervals].filter(([lo, hi]) => hi > lo).sort((a, b) => a[0] - b[0])) {
    const last = merged.at(-1);
    if (last && lo <= last[1]) last[1] = Math.max(last[1], hi);
    else merged.push([lo, hi]);
  }
  return merged;
}

const parseMultirange = (text: string): Intervals =>
  [...text.matchAll(/\[(\d+),(\d+)\)/g)].map((m) => [Number(m[1]), Number(m[2])]);

interface Exported {
  /** Per enrollment, content and day: the credited seconds. */
  readonly seconds: Map<string, number>;
  /** Per enrollment and content: the positions credited. */
  readonly covered: Map<string, Intervals>;
  /** Per enrollment and content: the time of its first credit. */
  readonly firstCredit: Map<string, number>;
  readonly creditRows: number;
  readonly runs: number;
  /** Runs not over yet, by id: the export shows them marked open. */
  readonly open: Map<string, Record<string, unknown>>;
  /** Every run, by id, without the open mark. */
  readonly runDetails: Map<string, Record<string, unknown>>;
}

/**
 * The export before migration 0017, as learnerAudit read it then (the trail's entries by id): the service's
 * export reads learning_audit_open_runs, which that schema has not.
 */
async function exportBeforeRuns(s: Side, enrollmentId: string) {
  const entries = await s.t.db
    .selectFrom('learning_audit')
    .select([sql<string>`id::text`.as('id'), 'kind', 'content_id as contentId', 'detail', 'at'])
    .where('enrollment_id', '=', enrollmentId)
    .orderBy('learning_audit.id')
    .execute();
  return { entries };
}

/** What the audit export (learnerAudit, the route's answer) says was credited, from either shape of credit. */
async function exported(s: Side): Promise<Exported> {
  const out: Exported = {
    seconds: new Map(),
    covered: new Map(),
    firstCredit: new Map(),
    creditRows: 0,
    runs: 0,
    open: new Map(),
    runDetails: new Map(),
  };
  const mutable = out as { creditRows: number; runs: number };
  for (const [learner, enrollmentId] of s.enrollments.entries()) {
    const audit = s.runs
      ? await learnerAudit(s.t.db, admin, s.provisionId, enrollmentId)
      : await exportBeforeRuns(s, enrollmentId);
    for (const entry of audit.entries.filter((e) => e.kind === 'credit')) {
      const detail = entry.detail as Record<string, unknown>;
      const content = s.videos.indexOf(entry.contentId!);
      const isRun = 'beats' in detail;
      mutable.creditRows++;
      if (isRun) {
        mutable.runs++;
        const { open, ...rest } = detail;
        if (open === true) out.open.set(entry.id, detail);
        else expect(open).toBeUndefined();
        out.runDetails.set(entry.id, rest);
      }
      // A per-beat row's day is its time's, in the profile's zone; a run names the day it counts in.
      const day = isRun ? (detail.day as string) : dayIn(entry.at, profile.timeZone);
      const k = key(learner, content, day);
      out.seconds.set(k, (out.seconds.get(k) ?? 0) + (detail.seconds as number));
      const positions: Intervals = isRun
        ? (detail.covered as Intervals)
        : [[detail.from as number, detail.to as number]];
      const c = `${learner}/${content}`;
      out.covered.set(c, union([...(out.covered.get(c) ?? []), ...positions]));
      out.firstCredit.set(c, Math.min(out.firstCredit.get(c) ?? Infinity, entry.at.getTime()));
    }
  }
  return out;
}

/** content_progress as the learner's page reads it: covered positions and their sum, per enrollment and content. */
async function progress(s: Side): Promise<Map<string, { covered: Intervals; seconds: number }>> {
  const rows = await s.t.db
    .selectFrom('content_progress')
    .select(['enrollment_id', 'content_id', 'covered', 'covered_seconds'])
    .where('enrollment_id', 'in', s.enrollments)
    .where('covered_seconds', '>', 0)
    .execute();
  return new Map(
    rows.map((r) => [
      `${s.enrollments.indexOf(r.enrollment_id)}/${s.videos.indexOf(r.content_id)}`,
      { covered: parseMultirange(String(r.covered)), seconds: r.covered_seconds },
    ]),
  );
}

const firstActivity = async (s: Side) =>
  (
    await s.t.db
      .selectFrom('enrollments')
      .select(['id', 'first_activity_at'])
      .where('id', 'in', s.enrollments)
      .execute()
  )
    .sort((a, b) => s.enrollments.indexOf(a.id) - s.enrollments.indexOf(b.id))
    .map((r) => r.first_activity_at?.getTime() ?? null);

/**
 * The first activity kept with the facts is what enrollment_first_activity recomputes from them, a first
 * run still open included (its start is in content_progress only).
 */
async function expectFirstActivityRecomputed(s: Side) {
  const { rows } = await sql<{ kept: Date | null; recomputed: Date | null }>`
    select first_activity_at as kept, enrollment_first_activity(id) as recomputed
    from enrollments where id = any(${s.enrollments}::uuid[]) order by id`.execute(s.t.db);
  expect(rows.filter((r) => r.kept !== null)).toHaveLength(LEARNERS);
  expect(rows.map((r) => r.recomputed)).toEqual(rows.map((r) => r.kept));
}

/** The export against the progress table and the beats' answers: the same seconds, the same positions. */
async function expectExportComplete(s: Side): Promise<Exported> {
  const audit = await exported(s);
  expect(Object.fromEntries(audit.seconds)).toEqual(
    Object.fromEntries([...s.answered].filter(([, seconds]) => seconds > 0)),
  );
  const held = await progress(s);
  expect(Object.fromEntries(audit.covered)).toEqual(
    Object.fromEntries([...held].map(([k, p]) => [k, p.covered])),
  );
  for (const [k, p] of held) {
    expect(p.seconds).toBe(audit.covered.get(k)!.reduce((sum, [lo, hi]) => sum + hi - lo, 0));
  }
  return audit;
}

/** The migrations before the viewing runs, in a directory of their own. */
async function migrationsBeforeRuns(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'migrations-before-runs-'));
  for (const file of await readdir(MIGRATIONS_DIR)) {
    if (file.endsWith('.sql') && file < RUNS_MIGRATION)
      await copyFile(join(MIGRATIONS_DIR, file), join(dir, file));
  }
  return dir;
}

let perBeat: Side;
let runs: Side;
let beforeRunsDir: string;

beforeAll(async () => {
  beforeRunsDir = await migrationsBeforeRuns();
  const old = await testDatabase('audit_proof_per_beat', { migrate: false });
  await migrateToLatest(old.db, beforeRunsDir);
  perBeat = await side(old);
  perBeat.runs = false;
  runs = await side(await testDatabase('audit_proof_runs'));
});
afterAll(async () => {
  await perBeat?.t.close();
  await runs?.t.close();
  await rm(beforeRunsDir, { recursive: true, force: true });
});

describe('the audit export reproduces every credited second', () => {
  const first = Array.from({ length: LEARNERS }, (_, i) => script(i, 1000 + i, 90, START))
    .flat()
    .sort((a, b) => a.at - b.at);
  const later = START + 4 * 3600_000;
  const second = Array.from({ length: LEARNERS }, (_, i) => script(i, 2000 + i, 90, later))
    .flat()
    .sort((a, b) => a.at - b.at);

  it('credits the same beats alike with one row a beat and with viewing runs', async () => {
    for (const beat of first) {
      const [a, b] = [await send(perBeat, beat), await send(runs, beat)];
      expect(b).toEqual(a);
    }
    expect([...runs.answered.values()].reduce((a, b) => a + b, 0)).toBeGreaterThan(3000);
    expect(runs.answered).toEqual(perBeat.answered);
  });

  it('exports, per content and day, what the per-beat trail exported, with far fewer rows', async () => {
    const before = await expectExportComplete(perBeat);
    const after = await expectExportComplete(runs);
    expect(after.seconds).toEqual(before.seconds);
    expect(after.covered).toEqual(before.covered);
    // Each content's first credit is its first run's opening, as first_activity_at reads it.
    expect(after.firstCredit).toEqual(before.firstCredit);
    expect(await firstActivity(runs)).toEqual(await firstActivity(perBeat));
    expect(before.runs).toBe(0);
    expect(after.runs).toBe(after.creditRows);
    expect(after.creditRows * 5).toBeLessThan(before.creditRows);
    // Some days end a run at midnight: the trail holds seconds in both of Korea's days.
    expect(new Set([...after.seconds.keys()].map((k) => k.split('/')[2])).size).toBe(2);
    // The runs the learners were last in are open: their seconds came from content_progress.
    expect(after.open.size).toBeGreaterThan(0);
    expect(after.open.size).toBeLessThan(after.runs);
    await expectFirstActivityRecomputed(runs);
  });

  it('writes the open runs to the trail once idle, and exports exactly what it did while they were open', async () => {
    const open = await expectExportComplete(runs);
    const lastBeat = first.at(-1)!.at;
    // At the last beat, those idle for longer than their gap; an hour later, the rest.
    const idle = [...open.open.values()].filter(
      (d) => new Date(d.endedAt as string).getTime() + MAX_BEAT_GAP_SECONDS * 1000 < lastBeat,
    ).length;
    expect(idle).toBeLessThan(open.open.size);
    expect(await closeIdleViewingRuns(runs.t.db, new Date(lastBeat))).toBe(idle);
    const closed = await closeIdleViewingRuns(runs.t.db, new Date(lastBeat + 3600_000));
    expect(closed + idle).toBe(open.open.size);
    expect(await closeIdleViewingRuns(runs.t.db, new Date(lastBeat + 3600_000))).toBe(0);
    const after = await expectExportComplete(runs);
    expect(after.open.size).toBe(0);
    // Each run under the same id, with the same detail, the open mark aside.
    expect(after.runDetails).toEqual(open.runDetails);
    expect(after.seconds).toEqual(open.seconds);
    expect(after.firstCredit).toEqual(open.firstCredit);
    const trail = await runs.t.db
      .selectFrom('learning_audit')
      .select(sql<string>`id::text`.as('id'))
      .where('kind', '=', 'credit')
      .where('enrollment_id', 'in', runs.enrollments)
      .execute();
    expect(trail.map((r) => r.id).sort()).toEqual([...after.runDetails.keys()].sort());
    await expectFirstActivityRecomputed(runs);
  });

  it('exports per-beat rows and runs alike once the per-beat database is migrated', async () => {
    await migrateToLatest(perBeat.t.db);
    perBeat.runs = true;
    for (const beat of second) {
      const [a, b] = [await send(perBeat, beat), await send(runs, beat)];
      expect(b).toEqual(a);
    }
    const mixed = await expectExportComplete(perBeat);
    const after = await expectExportComplete(runs);
    expect(mixed.runs).toBeGreaterThan(0);
    expect(mixed.creditRows).toBeGreaterThan(mixed.runs);
    expect(mixed.seconds).toEqual(after.seconds);
    expect(mixed.covered).toEqual(after.covered);
    expect(mixed.firstCredit).toEqual(after.firstCredit);
    expect(await firstActivity(runs)).toEqual(await firstActivity(perBeat));
    expect(mixed.open.size).toBeGreaterThan(0);
    await expectFirstActivityRecomputed(perBeat);
  });

  it('keeps every second when learners, and each learner’s two tabs, send their beats at once', async () => {
    const third = Array.from({ length: LEARNERS }, (_, i) => script(i, 3000 + i, 60, later + 8 * 3600_000));
    await Promise.all([
      ...third.map(async (beats) => {
        // A learner's beats in pairs: the two tabs' (or a beat and its retry) race each other.
        for (let i = 0; i < beats.length; i += 2)
          await Promise.all(beats.slice(i, i + 2).map((b) => send(runs, b)));
      }),
      // The idle-run closer, at the times of the beats it races.
      ...third
        .flat()
        .map((b, i) => (i % 20 === 0 ? closeIdleViewingRuns(runs.t.db, new Date(b.at)) : Promise.resolve(0))),
    ]);
    const audit = await expectExportComplete(runs);
    await expectFirstActivityRecomputed(runs);
    const rows = await runs.t.db
      .selectFrom('learning_audit')
      .select(['detail', 'at'])
      .where('kind', '=', 'credit')
      .where('enrollment_id', 'in', runs.enrollments)
      .unionAll(
        runs.t.db
          .selectFrom('learning_audit_open_runs')
          .select(['detail', 'at'])
          .where('enrollment_id', 'in', runs.enrollments),
      )
      .execute();
    for (const r of rows) {
      const { endedAt } = exportedDetail(r.detail as Record<string, unknown>, r.at);
      expect(new Date(endedAt as string).getTime()).toBeGreaterThanOrEqual(r.at.getTime());
    }
    expect(audit.runs).toBe(rows.length);
  });
});
