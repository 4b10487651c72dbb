import { businessNumberFrom } from '../service/service-fixture';
import { useLocalPlatform } from './local-platform-fixture';

/*
 * Open registration end to end, as `npm start` runs it, over HTTP: an institution opens a session of one
 * seat, a learner takes it, a second waits in line, the first cancels, and the second is promoted and can
 * watch. Access comes from the projection that the core's events keep through the local bus, as in AWS.
 */

const local = useLocalPlatform('registration');
const { send, call } = local;

/**
 * Polls a condition of the platform's state until it holds. The outbox relay and the projection run apart
 * from the request that caused them: relaying what is left first usually makes the first look enough, and
 * the loop covers a pass of the platform's own relay that took the rows at that moment.
 */
async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    await local.platform.flushEvents();
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const playbackStatus = async (who: string, contentId: string) =>
  (await send(who, 'POST', `/contents/${contentId}/playback`)).status;

it('opens a session of one seat; the second learner waits, is promoted when the first cancels, and can watch', async () => {
  await call(
    'manager',
    'POST',
    '/institutions',
    {
      name: 'Open Academy',
      ownerName: 'Kim',
      businessNumber: businessNumberFrom('401810031'),
      certificationNumber: 'C-31',
      contactEmail: 'office@open.local',
      contactPhone: '02-000-0031',
    },
    201,
  );
  const course = await call('manager', 'POST', '/courses', { title: 'Welding basics' }, 201);
  const chapter = await call('manager', 'POST', `/courses/${course.id}/chapters`, { title: 'Week 1' }, 201);
  const video = await call(
    'manager',
    'POST',
    `/courses/${course.id}/chapters/${chapter.id}/contents`,
    { kind: 'video', title: 'Safety first' },
    201,
  );
  await call('manager', 'POST', `/courses/${course.id}/publish`);

  // The platform runs on the real clock: a window open now, cancellations allowed for a day.
  const hour = 3_600_000;
  const session = await call(
    'manager',
    'POST',
    '/sessions',
    {
      courseId: course.id,
      capacity: 1,
      startsOn: '2027-06-01',
      endsOn: '2027-06-30',
      opensAt: new Date(Date.now() - hour).toISOString(),
      closesAt: new Date(Date.now() + 24 * hour).toISOString(),
      cancelDeadline: new Date(Date.now() + 24 * hour).toISOString(),
    },
    201,
  );
  const listed = await call('learner2', 'GET', `/sessions?courseId=${course.id}`);
  expect(listed.map((s: { id: string; seatsLeft: number }) => [s.id, s.seatsLeft])).toEqual([
    [session.id, 1],
  ]);

  const seat = await call('learner', 'POST', `/sessions/${session.id}/registrations`, {}, 201);
  expect(seat).toMatchObject({ state: 'registered', position: null, enrollmentId: expect.any(String) });
  // Full: refused unless the learner asks to wait, then first in line.
  await call('learner2', 'POST', `/sessions/${session.id}/registrations`, { waitlist: false }, 409);
  const line = await call(
    'learner2',
    'POST',
    `/sessions/${session.id}/registrations`,
    { waitlist: true },
    201,
  );
  expect(line).toMatchObject({ state: 'waiting', position: 1, enrollmentId: null });
  expect(await call('learner2', 'GET', '/me/registrations')).toEqual([
    expect.objectContaining({
      sessionId: session.id,
      state: 'waiting',
      position: 1,
      courseTitle: 'Welding basics',
    }),
  ]);

  // The seat's enrollment reaches the projection: the first learner watches, the one in line does not.
  await until('the first learner’s seat to open playback', async () =>
    (await playbackStatus('learner', video.id)) === 200 ? true : undefined,
  );
  expect(await playbackStatus('learner2', video.id)).toBe(403);

  const cancelled = await call('learner', 'DELETE', `/me/registrations/${session.id}`);
  expect(cancelled).toMatchObject({ state: 'cancelled', enrollmentId: null });
  // The promotion is part of the cancelling transaction: the answer to the next read already shows it.
  const [promoted] = await call('learner2', 'GET', '/me/registrations');
  expect(promoted).toMatchObject({
    id: line.id,
    state: 'registered',
    position: null,
    enrollmentId: expect.any(String),
  });
  expect(await call('manager', 'GET', `/sessions/${session.id}`)).toMatchObject({
    seatsTaken: 1,
    seatsLeft: 0,
    waiting: 0,
  });

  const playback = await until('the promoted learner to be let in', async () => {
    const res = await send('learner2', 'POST', `/contents/${video.id}/playback`);
    return res.status === 200 ? ((await res.json()) as { playlistUrl: string }) : undefined;
  });
  expect(playback.playlistUrl).toContain(`/hls/${video.id}/`);
  await until('the cancelled learner to lose playback', async () =>
    (await playbackStatus('learner', video.id)) === 403 ? true : undefined,
  );
});
