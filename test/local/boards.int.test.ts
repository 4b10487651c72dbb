import { businessNumberFrom } from '../service/service-fixture';
import { useLocalPlatform } from './local-platform-fixture';

/*
 * The course boards and notes end to end, as `npm start` runs them and people would use them, over HTTP: the
 * institution posts a notice, an employee enrolled through the company's provision finds it, asks a question
 * pinned to 1:30 of a video, gets an answer that staff accept, keeps a note with a drawing there and exports
 * their notes; staff see the question at minute 1 of the video. Access comes from the projection the core's
 * events keep, as in AWS.
 */

const local = useLocalPlatform('boards');
const { send, call } = local;

it('carries a notice, a question at 1:30 with its accepted answer, and a note with a drawing', async () => {
  const institution = await call(
    'manager',
    'POST',
    '/institutions',
    {
      name: 'Board Academy',
      ownerName: 'Kim',
      businessNumber: businessNumberFrom('401810021'),
      certificationNumber: 'C-21',
      contactEmail: 'office@boards.local',
      contactPhone: '02-000-0021',
    },
    201,
  );
  const instructor = await call('instructor', 'GET', '/me');
  await call('manager', 'PUT', `/institutions/${institution.id}/members/${instructor.sub}`, {
    role: 'instructor',
  });
  const course = await call('manager', 'POST', '/courses', { title: 'Knots' }, 201);
  const chapter = await call('manager', 'POST', `/courses/${course.id}/chapters`, { title: 'Week 1' }, 201);
  const video = await call(
    'manager',
    'POST',
    `/courses/${course.id}/chapters/${chapter.id}/contents`,
    { kind: 'video', title: 'The bowline' },
    201,
  );
  await call('manager', 'POST', `/courses/${course.id}/publish`);
  const company = await call(
    'company',
    'POST',
    '/companies',
    {
      name: 'Ropes Inc',
      ownerName: 'Park',
      businessNumber: businessNumberFrom('401810022'),
      email: 'hr@ropes.local',
      phone: '031-000-0022',
    },
    201,
  );
  const { userSub } = await call('learner', 'POST', `/companies/${company.id}/join-requests`);
  await call('company', 'PUT', `/companies/${company.id}/employees/${userSub}/approval`);
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
  await call('company', 'POST', `/provisions/${provision.id}/attendees`, { userSubs: [userSub] });
  // The core's facts reach the access projection through the bus.
  await local.platform.flushEvents();

  const notice = await call(
    'manager',
    'POST',
    '/board-posts',
    { provisionId: provision.id, board: 'notice', title: 'Welcome', body: 'Bring a rope.' },
    201,
  );
  const board = await call('learner', 'GET', `/board-posts?provisionId=${provision.id}&board=notice`);
  expect(board.posts.map((p: { postId: string }) => p.postId)).toEqual([notice.postId]);
  expect(await call('learner', 'GET', `/board-posts/${notice.postId}`)).toMatchObject({
    title: 'Welcome',
    viewCount: 1,
  });

  const question = await call(
    'learner',
    'POST',
    '/board-posts',
    {
      provisionId: provision.id,
      board: 'qna',
      title: 'Which end goes round?',
      body: 'At 1:30 I lose track.',
      videoAt: { contentId: video.id, second: 90 },
    },
    201,
  );
  const answer = await call(
    'instructor',
    'POST',
    `/board-posts/${question.postId}/comments`,
    { body: 'The rabbit goes round the tree.' },
    201,
  );
  await call('manager', 'PUT', `/board-posts/${question.postId}/accepted-answer`, {
    commentId: answer.commentId,
  });
  expect(await call('learner', 'GET', `/board-posts/${question.postId}`)).toMatchObject({
    answered: true,
    acceptedCommentId: answer.commentId,
    videoAt: { contentId: video.id, second: 90 },
  });
  expect(await call('instructor', 'GET', `/contents/${video.id}/question-minutes`)).toEqual({
    contentId: video.id,
    minutes: [{ minute: 1, questions: 1 }],
    questions: 1,
  });

  const drawing = {
    strokes: [
      {
        color: '#2255aa',
        width: 3,
        points: [
          [0.2, 0.2],
          [0.4, 0.5],
        ],
      },
    ],
  };
  await call(
    'learner',
    'POST',
    '/notes',
    { contentId: video.id, second: 90, text: 'Rabbit, tree', drawing },
    201,
  );
  const notes = await call('learner', 'GET', `/notes?contentId=${video.id}`);
  expect(notes.notes).toEqual([expect.objectContaining({ second: 90, text: 'Rabbit, tree', drawing })]);
  const exported = await send('learner', 'GET', `/notes/export?courseId=${course.id}`);
  expect(exported.headers.get('content-type')).toBe('text/markdown; charset=utf-8');
  expect(await exported.text()).toContain('- **[1:30]** Rabbit, tree\n  _(drawing: 1 stroke)_');
  // Another employee of no provision sees neither the board nor the notes.
  await call('learner2', 'GET', `/board-posts/${notice.postId}`, undefined, 404);
  expect((await call('learner2', 'GET', `/notes?contentId=${video.id}`)).notes).toEqual([]);
});
