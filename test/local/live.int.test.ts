import { spawn } from 'node:child_process';
import { once } from 'node:events';
import ffmpegInstaller from '@ffmpeg-installer/ffmpeg';
import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateChannelCommand, IvsClient, ListChannelsCommand } from '@aws-sdk/client-ivs';
import { CreateRoomCommand, IvschatClient, ListRoomsCommand } from '@aws-sdk/client-ivschat';
import { DynamoDBDocumentClient, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { lectureScheduled, lectureStarted } from '#contracts/platform-events';
import { platformTags, resourceName } from '#lambda/live/ivs-resources';
import { LOCAL_AWS } from '#local/dynamodb-local';
import { businessNumberFrom } from '../service/service-fixture';
import { useLocalPlatform } from './local-platform-fixture';

/*
 * A live lecture end to end, as `npm start` runs it and a person would use it, over HTTP: the instructor's
 * side schedules it and goes live by streaming to the local RTMP ingest with ffmpeg, sends a quiz; two
 * employees join, answer and leave; the stream ends, IVS's events end the lecture, its report reaches the
 * learning record (dashboard, audit export), and its recording becomes a video of the course.
 */

/** The lecture the first scenario ran to its end. */
let endedLectureId: string;
const local = useLocalPlatform('live');
const { call } = local;

/** Polls a condition of the platform's state: a stream's effects arrive over RTMP and IVS's events. */
async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

it('runs a lecture from its schedule to the learning record and a recording learners can watch', async () => {
  // An institution with a published course, a company whose two employees are enrolled in its provision.
  await call(
    'manager',
    'POST',
    '/institutions',
    {
      name: 'Live Academy',
      ownerName: 'Kim',
      businessNumber: businessNumberFrom('401810011'),
      certificationNumber: 'C-11',
      contactEmail: 'office@live.local',
      contactPhone: '02-000-0011',
    },
    201,
  );
  const course = await call('manager', 'POST', '/courses', { title: 'Working at height' }, 201);
  const chapter = await call('manager', 'POST', `/courses/${course.id}/chapters`, { title: 'Week 1' }, 201);
  await call(
    'manager',
    'POST',
    `/courses/${course.id}/chapters/${chapter.id}/contents`,
    { kind: 'video', title: 'Harnesses' },
    201,
  );
  await call('manager', 'POST', `/courses/${course.id}/publish`);
  const company = await call(
    'company',
    'POST',
    '/companies',
    {
      name: 'Towers Inc',
      ownerName: 'Park',
      businessNumber: businessNumberFrom('401810012'),
      email: 'hr@towers.local',
      phone: '031-000-0012',
    },
    201,
  );
  const learners: string[] = [];
  for (const who of ['learner', 'learner2']) {
    const { userSub } = await call(who, 'POST', `/companies/${company.id}/join-requests`);
    await call('company', 'PUT', `/companies/${company.id}/employees/${userSub}/approval`);
    learners.push(userSub);
  }
  const provision = await call(
    'company',
    'POST',
    '/provisions',
    {
      companyId: company.id,
      courseId: course.id,
      startsOn: '2026-12-01',
      endsOn: '2027-12-31',
      attendeeCount: 5,
      depositAmount: 500000,
    },
    201,
  );
  await call('manager', 'POST', `/provisions/${provision.id}/decision`, { decision: 'accepted' });
  await call('company', 'POST', `/provisions/${provision.id}/attendees`, { userSubs: learners });
  // The access projection learns of the provision, the staff and the enrollments from the core's events.
  await local.platform.flushEvents();

  // The lecture: its capacity is the provision's attendees unless said otherwise.
  const now = Date.now();
  const lecture = await call(
    'manager',
    'POST',
    '/lectures',
    {
      provisionId: provision.id,
      title: 'Ladders, live',
      startsAt: new Date(now + 60_000).toISOString(),
      endsAt: new Date(now + 3_600_000).toISOString(),
    },
    201,
  );
  expect(lecture).toMatchObject({ state: 'scheduled', capacity: 5, joinedCount: 0, record: true });
  const { lectureId } = lecture as { lectureId: string };
  const listed = await call('learner', 'GET', `/lectures?provisionId=${provision.id}&upcoming=true`);
  expect(JSON.stringify(listed)).toContain(lectureId);
  const { ingestUrl, streamKey } = await call('manager', 'POST', `/lectures/${lectureId}/stream-key`);
  expect(ingestUrl).toBe(local.platform.live.rtmpUrl);

  // Going live: the broadcaster's encoder (ffmpeg here, OBS for a person) streams to the ingest.
  const encoder = spawn(ffmpegInstaller.path, [
    ...['-hide_banner', '-loglevel', 'error', '-re'],
    ...['-f', 'lavfi', '-i', 'testsrc=duration=12:size=320x180:rate=15'],
    ...['-c:v', 'libx264', '-preset', 'ultrafast', '-tune', 'zerolatency', '-g', '15', '-pix_fmt', 'yuv420p'],
    ...['-f', 'flv', `${ingestUrl}${streamKey}`],
  ]);
  const encoderExit = once(encoder, 'close');
  await until('the lecture to go live', async () => {
    const l = await call('manager', 'GET', `/lectures/${lectureId}`);
    return l.state === 'live' ? l : undefined;
  });

  // Two employees join and take two seats; the playback URL carries a token the local IVS checks.
  const joined = await Promise.all(
    ['learner', 'learner2'].map((who) => call(who, 'POST', `/lectures/${lectureId}/join`)),
  );
  for (const j of joined) {
    expect(j.playbackUrl).toMatch(/\?token=/);
    const playlist = await fetch(j.playbackUrl);
    expect(playlist.status).toBe(200);
  }
  expect((await fetch(joined[0].playbackUrl.replace(/\?token=.*/, ''))).status).toBe(403);
  expect((await call('manager', 'GET', `/lectures/${lectureId}`)).joinedCount).toBe(2);
  const chat = await call('learner', 'POST', `/lectures/${lectureId}/chat-token`, {});
  expect(chat.token).toEqual(expect.any(String));

  // A quiz on the channel as timed metadata; both answer, one of them right.
  const quiz = await call(
    'manager',
    'POST',
    `/lectures/${lectureId}/quizzes`,
    { question: 'Three points of contact?', options: ['yes', 'no'], answer: 0, timeLimitSeconds: 60 },
    201,
  );
  await call('manager', 'POST', `/lectures/${lectureId}/quizzes/${quiz.quizId}/send`);
  const channelArn = (await call('manager', 'GET', `/lectures/${lectureId}`)).channelArn as string;
  expect(local.platform.live.ivs.metadataOf(channelArn).map((m) => JSON.parse(m.metadata))).toEqual([
    expect.objectContaining({ t: 'quiz', id: quiz.quizId, q: 'Three points of contact?' }),
  ]);
  await call('learner', 'POST', `/lectures/${lectureId}/quizzes/${quiz.quizId}/answers`, { option: 0 }, 201);
  await call('learner2', 'POST', `/lectures/${lectureId}/quizzes/${quiz.quizId}/answers`, { option: 1 }, 201);
  expect(await call('manager', 'GET', `/lectures/${lectureId}/quizzes/${quiz.quizId}/results`)).toMatchObject(
    { total: 2 },
  );

  // Presence while watching, then both leave; the stream ends when the encoder stops.
  for (const who of ['learner', 'learner2'])
    await until(`a credited heartbeat of ${who}`, async () => {
      const beat = await call(who, 'POST', `/lectures/${lectureId}/presence`, {});
      return beat.presenceSeconds > 0 ? beat : undefined;
    });
  for (const who of ['learner', 'learner2']) await call(who, 'POST', `/lectures/${lectureId}/leave`);
  await encoderExit;
  await until('the lecture to end', async () => {
    await local.platform.live.settled();
    const l = await call('manager', 'GET', `/lectures/${lectureId}`);
    return l.state === 'ended' ? l : undefined;
  });
  const attendance = await call('manager', 'GET', `/lectures/${lectureId}/attendance`);
  expect(JSON.stringify(attendance)).toContain(learners[1]!);
  // The facts the notifications domain tells learners of reached the bus: the schedule, and the start once.
  const lectureFacts = local.platform.bus.published.filter(
    (e) =>
      e.source === 'lms.live' &&
      e['detail-type'].startsWith('lecture.') &&
      (e.detail as { lectureId?: string }).lectureId === lectureId,
  );
  expect(
    lectureFacts.map((e) => [
      e['detail-type'],
      (e['detail-type'] === 'lecture.scheduled' ? lectureScheduled : lectureStarted).parse(e.detail).eventId,
    ]),
  ).toEqual([
    ['lecture.scheduled', `lecture-scheduled-${lectureId}`],
    ['lecture.started', `lecture-started-${lectureId}`],
  ]);

  // The report reached the core: the company's dashboard and the institution's audit export show it.
  await local.platform.live.settled();
  await local.platform.flushEvents();
  const dashboard = (await call('company', 'GET', `/provisions/${provision.id}/progress`)) as {
    userSub: string;
    enrollmentId: string;
    liveLecturesAttended: number;
  }[];
  expect(dashboard.map((d) => d.liveLecturesAttended)).toEqual([1, 1]);
  const first = dashboard.find((d) => d.userSub === learners[0])!;
  const audit = await call(
    'manager',
    'GET',
    `/provisions/${provision.id}/enrollments/${first.enrollmentId}/audit`,
  );
  expect(audit.liveLectures).toEqual([
    expect.objectContaining({ lectureId, attended: true, quizzesAnswered: 1, quizzesCorrect: 1 }),
  ]);

  // The recording became a video of the course for this provision's learners.
  const page = await until('the recording to become a video', async () => {
    await local.platform.live.settled();
    await local.platform.flushEvents();
    const p = await call('learner', 'GET', `/courses/${course.id}`);
    return JSON.stringify(p).includes(lectureId) ? p : undefined;
  });
  expect(page.chapters.at(-1).contents).toEqual([
    expect.objectContaining({ id: lectureId, kind: 'video', mediaState: 'ready' }),
  ]);
  const playback = await call('learner', 'POST', `/contents/${lectureId}/playback`);
  expect(playback.playlistUrl).toContain(`/hls/${lectureId}/`);
  endedLectureId = lectureId;
});

it('gives the local IVS back the channel of a lecture ended a day ago, and an orphan seen long enough', async () => {
  const aws = { endpoint: local.platform.live.ivs.endpoint, ...LOCAL_AWS };
  const ivs = new IvsClient(aws);
  const chat = new IvschatClient({ ...aws, endpoint: local.platform.live.ivs.chatEndpoint });
  const ddb = DynamoDBDocumentClient.from(
    new DynamoDBClient({ endpoint: process.env.DYNAMODB_ENDPOINT!, ...LOCAL_AWS }),
  );
  const live = local.platform.tables.live!;
  // A create that timed out after CreateChannel and CreateRoom, as createLectureResources made them.
  const orphanId = randomUUID();
  const name = resourceName('lms-local', orphanId);
  const tags = platformTags('lms-local', orphanId, randomUUID());
  const { channel } = await ivs.send(new CreateChannelCommand({ name, authorized: true, tags }));
  const room = await chat.send(new CreateRoomCommand({ name, tags }));
  // Another platform's channel in the same account.
  const foreign = await ivs.send(
    new CreateChannelCommand({
      name: resourceName('lms-other', orphanId),
      tags: platformTags('lms-other', orphanId, 'x'),
    }),
  );
  const before = (await ivs.send(new ListChannelsCommand({}))).channels!.map((c) => c.arn);
  expect(before).toEqual(expect.arrayContaining([channel!.arn, foreign.channel!.arn]));

  // The first run only notes the orphan; the lecture ended minutes ago keeps its channel.
  await local.platform.live.releaseChannels();
  expect((await ivs.send(new ListChannelsCommand({}))).channels!.map((c) => c.arn)).toEqual(before);
  // As if the orphan was first seen, and the lecture ended, long enough ago.
  const ago = (ms: number) => new Date(Date.now() - ms).toISOString();
  await ddb.send(
    new PutCommand({
      TableName: live,
      Item: { pk: `orphan#${orphanId}`, sk: 'meta', seenAt: ago(3600_000) },
    }),
  );
  await ddb.send(
    new UpdateCommand({
      TableName: live,
      Key: { pk: `lecture#${endedLectureId}`, sk: 'meta' },
      UpdateExpression: 'SET endedAt = :at',
      ExpressionAttributeValues: { ':at': ago(2 * 24 * 3600_000) },
    }),
  );
  const { channelArn } = await call('manager', 'GET', `/lectures/${endedLectureId}`);
  await local.platform.live.releaseChannels();
  const after = (await ivs.send(new ListChannelsCommand({}))).channels!.map((c) => c.arn);
  expect(after).toContain(foreign.channel!.arn);
  expect(after).not.toContain(channel!.arn);
  expect(after).not.toContain(channelArn);
  const rooms = (await chat.send(new ListRoomsCommand({}))).rooms!.map((r) => r.arn);
  expect(rooms).not.toContain(room.arn);
  // Its broadcaster is told the channel is gone, not handed a key to nowhere.
  const key = await call('manager', 'POST', `/lectures/${endedLectureId}/stream-key`, undefined, 409);
  expect(key.detail).toMatch(/channel was released/);
  ivs.destroy();
  chat.destroy();
});
