import { randomUUID } from 'node:crypto';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import type { Role } from '#contracts/resources';
import { routeList } from '#contracts/routes';
import { applyAccessFact } from '#lambda/access/access';
import { dropWorld, ddb, NOW, snapshot } from '../live/live-fixture';
import {
  type BoardWorld,
  boardEnv,
  bodyOf,
  createBoardWorld,
  fieldsOf,
  type Handler,
  loadHandlers,
  type Request,
  requestOf,
} from './board-fixture';

/*
 * The board routes as deployed, against DynamoDB Local: notices and questions per provision, comments,
 * answered and accepted answers, view counts under concurrent reads, pagination, questions per minute of a
 * video; who may do each, and bad input named by field. Every refusal leaves the board table as it was.
 */

let world: BoardWorld;
let restoreEnv: () => void;
let h: Record<string, Handler>;
const CROWD = 100;

beforeAll(async () => {
  world = await createBoardWorld('board', CROWD);
  restoreEnv = boardEnv(world);
  h = await loadHandlers('board', [
    'create-post',
    'list-posts',
    'list-my-posts',
    'get-post',
    'update-post',
    'delete-post',
    'create-comment',
    'list-comments',
    'update-comment',
    'delete-comment',
    'accept-answer',
    'get-question-minutes',
  ]);
});
afterAll(async () => {
  restoreEnv();
  await dropWorld(world);
});

type Who =
  | 'manager'
  | 'instructor'
  | 'otherStaff'
  | 'learner'
  | 'foreignLearner'
  | 'stranger'
  | 'companyManager'
  | 'foreignCompanyManager'
  | `crowd${number}`;

function person(who: Who): [string, string] {
  if (who.startsWith('crowd')) return [world.crowd[Number(who.slice(5))]!, 'learner'];
  switch (who) {
    case 'companyManager':
      return [world.companyManager, 'company-manager'];
    case 'foreignCompanyManager':
      return [world.foreignCompanyManager, 'company-manager'];
    case 'manager':
    case 'otherStaff':
      return [world.people[who], 'institution-manager'];
    case 'instructor':
      return [world.people.instructor, 'instructor'];
    default:
      return [world.people[who as 'learner'], 'learner'];
  }
}

const call = (route: string, who: Who, r: Request = {}) => {
  const [sub, roles] = person(who);
  return h[route]!(requestOf(sub, roles, r));
};

const board = () => snapshot(world.tables.board!);

async function post(who: Who, body: Record<string, unknown>) {
  const res = await call('create-post', who, {
    body: { provisionId: world.provisionId, title: 'A title', body: 'Some text', ...body },
  });
  expect([res.statusCode, res.body]).toEqual([201, expect.any(String)]);
  return bodyOf<{ postId: string } & Record<string, unknown>>(res);
}

describe('the notice board', () => {
  let noticeId: string;
  beforeAll(async () => {
    noticeId = (await post('manager', { board: 'notice', title: 'Welcome', body: 'Read the syllabus.' }))
      .postId;
  });

  it('is written by staff and read by the provision’s learners and its company’s manager', async () => {
    for (const who of ['learner', 'companyManager', 'instructor'] as const) {
      const list = await call('list-posts', who, {
        query: { provisionId: world.provisionId, board: 'notice' },
      });
      expect(list.statusCode).toBe(200);
      expect(bodyOf<{ posts: { postId: string }[] }>(list).posts.map((p) => p.postId)).toContain(noticeId);
      const got = await call('get-post', who, { params: { postId: noticeId } });
      expect(got.statusCode).toBe(200);
      expect(bodyOf(got)).toMatchObject({ title: 'Welcome', board: 'notice', authorRole: 'staff' });
    }
  });

  it.each([
    ['foreignLearner', 404],
    ['foreignCompanyManager', 404],
    ['otherStaff', 404],
    ['stranger', 404],
  ] as const)('is hidden from %s (%i), who changes nothing by asking', async (who, status) => {
    const before = await board();
    const list = await call('list-posts', who, {
      query: { provisionId: world.provisionId, board: 'notice' },
    });
    const got = await call('get-post', who, { params: { postId: noticeId } });
    expect([list.statusCode, got.statusCode]).toEqual([status, status]);
    expect(fieldsOf(list)).toEqual(['query.provisionId']);
    expect(fieldsOf(got)).toEqual(['path.postId']);
    expect(await board()).toBe(before);
  });

  it('refuses notices from learners and company managers, and writes nothing', async () => {
    const before = await board();
    const body = { provisionId: world.provisionId, board: 'notice', title: 'Mine', body: 'Text' };
    expect((await call('create-post', 'learner', { body })).statusCode).toBe(403);
    expect((await call('create-post', 'companyManager', { body })).statusCode).toBe(403);
    const elsewhere = await call('create-post', 'otherStaff', { body });
    expect([elsewhere.statusCode, fieldsOf(elsewhere)]).toEqual([404, ['body.provisionId']]);
    const requested = await call('create-post', 'manager', {
      body: { ...body, provisionId: world.requestedProvisionId },
    });
    expect([requested.statusCode, fieldsOf(requested)]).toEqual([409, ['body.provisionId']]);
    const pinned = await call('create-post', 'manager', {
      body: { ...body, videoAt: { contentId: world.videoId, second: 3 } },
    });
    expect([pinned.statusCode, fieldsOf(pinned)]).toEqual([422, ['body.videoAt']]);
    expect(await board()).toBe(before);
  });

  it('takes no comments', async () => {
    const before = await board();
    const res = await call('create-comment', 'learner', {
      params: { postId: noticeId },
      body: { body: 'Hi' },
    });
    expect([res.statusCode, fieldsOf(res)]).toEqual([409, ['path.postId']]);
    expect(await board()).toBe(before);
  });
});

describe('pagination', () => {
  it('lists a board newest first, past one page, each post once', async () => {
    const provisionId = randomUUID();
    await applyAccessFact(ddb, world.tables.access!, {
      type: 'provision.set',
      detail: {
        eventId: randomUUID(),
        occurredAt: NOW.toISOString(),
        provisionId,
        institutionId: world.institutionId,
        companyId: world.companyId,
        courseId: randomUUID(),
        attendeeCount: 10,
        state: 'accepted',
        startsOn: '2026-12-01',
        endsOn: '2027-02-28',
      },
    });
    const made: string[] = [];
    for (let i = 0; i < 45; i++) {
      const res = await call('create-post', 'instructor', {
        body: { provisionId, board: 'notice', title: `Notice ${i}`, body: 'x' },
      });
      made.push(bodyOf<{ postId: string }>(res).postId);
    }
    const seen: string[] = [];
    const sizes: number[] = [];
    let cursor: string | undefined;
    do {
      const res = await call('list-posts', 'manager', {
        query: { provisionId, board: 'notice', limit: '20', ...(cursor ? { cursor } : {}) },
      });
      expect(res.statusCode).toBe(200);
      const page = bodyOf<{ posts: { postId: string }[]; cursor?: string }>(res);
      sizes.push(page.posts.length);
      seen.push(...page.posts.map((p) => p.postId));
      cursor = page.cursor;
    } while (cursor);
    expect(sizes.slice(0, 3)).toEqual([20, 20, 5]);
    expect(seen).toEqual([...made].reverse());
  });

  it('refuses a cursor that is not this listing’s, naming it', async () => {
    const first = await call('list-posts', 'learner', {
      query: { provisionId: world.provisionId, board: 'notice', limit: '1' },
    });
    const { cursor } = bodyOf<{ cursor: string }>(first);
    expect(cursor).toEqual(expect.any(String));
    for (const bad of [cursor, 'not-base64-json', Buffer.from('{"pk":1}').toString('base64url')]) {
      const res = await call('list-posts', 'learner', {
        query: { provisionId: world.provisionId, board: 'qna', cursor: bad },
      });
      expect([res.statusCode, fieldsOf(res)]).toEqual([400, ['query.cursor']]);
    }
  });
});

describe('view counts', () => {
  it('counts each reader exactly once under 200 concurrent reads', async () => {
    const { postId } = await post('manager', { board: 'notice', title: 'Read me' });
    const readers = world.crowd.map((_, i) => `crowd${i}` as Who);
    // Every reader twice, all at once: 200 concurrent reads by 100 readers.
    const results = await Promise.all(
      [...readers, ...readers].map((who) => call('get-post', who, { params: { postId } })),
    );
    expect(results.map((r) => r.statusCode)).toEqual(results.map(() => 200));
    const again = await call('get-post', 'crowd0', { params: { postId } });
    expect(bodyOf(again).viewCount).toBe(CROWD);
    const markers = await ddb.send(
      new ScanCommand({
        TableName: world.tables.board!,
        FilterExpression: 'pk = :pk AND begins_with(sk, :view)',
        ExpressionAttributeValues: { ':pk': `post#${postId}`, ':view': 'view#' },
        ConsistentRead: true,
      }),
    );
    expect(markers.Items).toHaveLength(CROWD);
  });
});

describe('the Q&A board', () => {
  let questionId: string;

  it('takes questions from learners only, pinned to a video of the course', async () => {
    const question = await post('learner', {
      board: 'qna',
      title: 'Why the bowline?',
      body: 'At 1:30 the knot changes.',
      videoAt: { contentId: world.videoId, second: 90 },
    });
    questionId = question.postId;
    expect(question).toMatchObject({ answered: false, acceptedCommentId: null, videoAt: { second: 90 } });
    const before = await board();
    const staffAsks = await call('create-post', 'instructor', {
      body: { provisionId: world.provisionId, board: 'qna', title: 'Q', body: 'Q' },
    });
    expect(staffAsks.statusCode).toBe(403);
    const material = await call('create-post', 'learner', {
      body: {
        provisionId: world.provisionId,
        board: 'qna',
        title: 'Q',
        body: 'Q',
        videoAt: { contentId: world.materialId, second: 1 },
      },
    });
    expect([material.statusCode, fieldsOf(material)]).toEqual([422, ['body.videoAt.contentId']]);
    for (const contentId of [world.otherVideoId, randomUUID()]) {
      const res = await call('create-post', 'learner', {
        body: {
          provisionId: world.provisionId,
          board: 'qna',
          title: 'Q',
          body: 'Q',
          videoAt: { contentId, second: 1 },
        },
      });
      expect([res.statusCode, fieldsOf(res)]).toEqual([404, ['body.videoAt.contentId']]);
    }
    expect(await board()).toBe(before);
  });

  it('is not the company manager’s to read', async () => {
    const list = await call('list-posts', 'companyManager', {
      query: { provisionId: world.provisionId, board: 'qna' },
    });
    const got = await call('get-post', 'companyManager', { params: { postId: questionId } });
    expect([list.statusCode, got.statusCode]).toEqual([403, 403]);
  });

  it('shows answered once staff answer, and the answer staff accept', async () => {
    const peer = await call('create-comment', 'crowd1', {
      params: { postId: questionId },
      body: { body: 'Try it slowly.' },
    });
    expect(peer.statusCode).toBe(201);
    const peerId = bodyOf<{ commentId: string }>(peer).commentId;
    let q = bodyOf(await call('get-post', 'learner', { params: { postId: questionId } }));
    expect(q).toMatchObject({ answered: false, commentCount: 1 });

    const staff = await call('create-comment', 'instructor', {
      params: { postId: questionId },
      body: { body: 'It holds under load.' },
    });
    const staffId = bodyOf<{ commentId: string }>(staff).commentId;
    q = bodyOf(await call('get-post', 'learner', { params: { postId: questionId } }));
    expect(q).toMatchObject({ answered: true, commentCount: 2, acceptedCommentId: null });

    const notStaff = await call('accept-answer', 'learner', {
      params: { postId: questionId },
      body: { commentId: peerId },
    });
    expect(notStaff.statusCode).toBe(403);
    const unknown = await call('accept-answer', 'manager', {
      params: { postId: questionId },
      body: { commentId: randomUUID() },
    });
    expect([unknown.statusCode, fieldsOf(unknown)]).toEqual([404, ['body.commentId']]);
    const accepted = await call('accept-answer', 'manager', {
      params: { postId: questionId },
      body: { commentId: peerId },
    });
    expect([accepted.statusCode, bodyOf(accepted).acceptedCommentId]).toEqual([200, peerId]);

    const comments = await call('list-comments', 'crowd2', { params: { postId: questionId } });
    expect(bodyOf<{ comments: unknown[] }>(comments).comments).toEqual([
      expect.objectContaining({ commentId: peerId, authorRole: 'learner', accepted: true, mine: false }),
      expect.objectContaining({ commentId: staffId, authorRole: 'staff', accepted: false }),
    ]);

    // Staff's only answer removed: no longer answered. The accepted one removed: nothing accepted.
    expect(
      (await call('delete-comment', 'instructor', { params: { postId: questionId, commentId: staffId } }))
        .statusCode,
    ).toBe(204);
    expect(
      (await call('delete-comment', 'crowd1', { params: { postId: questionId, commentId: peerId } }))
        .statusCode,
    ).toBe(204);
    q = bodyOf(await call('get-post', 'learner', { params: { postId: questionId } }));
    expect(q).toMatchObject({ answered: false, commentCount: 0, acceptedCommentId: null });
  });

  it('lets authors edit and remove their own, and staff remove any', async () => {
    const c = await call('create-comment', 'crowd3', {
      params: { postId: questionId },
      body: { body: 'First' },
    });
    const commentId = bodyOf<{ commentId: string }>(c).commentId;
    const before = await board();
    const othersEdit = await call('update-comment', 'crowd4', {
      params: { postId: questionId, commentId },
      body: { body: 'Hijacked' },
    });
    const othersDelete = await call('delete-comment', 'crowd4', {
      params: { postId: questionId, commentId },
    });
    const staffEdit = await call('update-comment', 'manager', {
      params: { postId: questionId, commentId },
      body: { body: 'Hijacked' },
    });
    const postEdit = await call('update-post', 'crowd4', {
      params: { postId: questionId },
      body: { title: 'Mine' },
    });
    const postDelete = await call('delete-post', 'crowd4', { params: { postId: questionId } });
    expect([othersEdit, othersDelete, staffEdit, postEdit, postDelete].map((r) => r.statusCode)).toEqual([
      403, 403, 403, 403, 403,
    ]);
    expect(await board()).toBe(before);

    const edited = await call('update-comment', 'crowd3', {
      params: { postId: questionId, commentId },
      body: { body: 'Second thoughts' },
    });
    expect([edited.statusCode, bodyOf(edited).body]).toEqual([200, 'Second thoughts']);
    const retitled = await call('update-post', 'learner', {
      params: { postId: questionId },
      body: { title: 'Why the bowline, really?' },
    });
    expect(bodyOf(retitled)).toMatchObject({
      title: 'Why the bowline, really?',
      body: 'At 1:30 the knot changes.',
    });
    expect(
      (await call('delete-comment', 'manager', { params: { postId: questionId, commentId } })).statusCode,
    ).toBe(204);

    const doomed = await post('crowd5', { board: 'qna', title: 'Doomed', body: 'x' });
    expect((await call('delete-post', 'manager', { params: { postId: doomed.postId } })).statusCode).toBe(
      204,
    );
    const gone = await call('get-post', 'crowd5', { params: { postId: doomed.postId } });
    expect([gone.statusCode, fieldsOf(gone)]).toEqual([404, ['path.postId']]);
    const list = await call('list-posts', 'crowd5', {
      query: { provisionId: world.provisionId, board: 'qna' },
    });
    expect(bodyOf<{ posts: { postId: string }[] }>(list).posts.map((p) => p.postId)).not.toContain(
      doomed.postId,
    );
    expect((await call('delete-post', 'crowd5', { params: { postId: doomed.postId } })).statusCode).toBe(404);
  });

  it('lists a learner’s own posts across provisions, newest first', async () => {
    // The learner, also enrolled through a provision of another course.
    const courseId = randomUUID();
    const provisionId = randomUUID();
    const occurredAt = NOW.toISOString();
    await applyAccessFact(ddb, world.tables.access!, {
      type: 'provision.set',
      detail: {
        ...{ eventId: randomUUID(), occurredAt, provisionId, institutionId: world.institutionId },
        ...{ companyId: world.companyId, courseId, attendeeCount: 5, state: 'accepted' },
        ...{ startsOn: '2026-12-01', endsOn: '2027-02-28' },
      },
    });
    await applyAccessFact(ddb, world.tables.access!, {
      type: 'enrollment.created',
      detail: {
        eventId: randomUUID(),
        occurredAt,
        courseId,
        provisionId,
        enrollmentId: randomUUID(),
        userSub: world.people.learner,
      },
    });
    const elsewhere = await call('create-post', 'learner', {
      body: { provisionId, board: 'qna', title: 'Elsewhere', body: 'x' },
    });
    expect(elsewhere.statusCode).toBe(201);
    const mine = await call('list-my-posts', 'learner', { query: { limit: '1' } });
    const page = bodyOf<{ posts: { postId: string; provisionId: string }[]; cursor: string }>(mine);
    expect(page.posts.map((p) => p.provisionId)).toEqual([provisionId]);
    const next = await call('list-my-posts', 'learner', { query: { cursor: page.cursor } });
    const rest = bodyOf<{ posts: { postId: string; provisionId: string; mine: boolean }[] }>(next).posts;
    expect(rest.map((p) => p.postId)).toContain(questionId);
    expect(rest.every((p) => p.mine)).toBe(true);
  });
});

describe('who may touch a question and its answers', () => {
  let postId: string;
  let commentId: string;
  beforeAll(async () => {
    postId = (await post('crowd20', { board: 'qna', title: 'Matrix', body: 'x' })).postId;
    const c = await call('create-comment', 'instructor', { params: { postId }, body: { body: 'Answer' } });
    commentId = bodyOf<{ commentId: string }>(c).commentId;
  });
  const routes = [
    ['get-post', () => ({ params: { postId } })],
    ['update-post', () => ({ params: { postId }, body: { title: 'Theirs' } })],
    ['delete-post', () => ({ params: { postId } })],
    ['create-comment', () => ({ params: { postId }, body: { body: 'Theirs' } })],
    ['list-comments', () => ({ params: { postId } })],
    ['update-comment', () => ({ params: { postId, commentId }, body: { body: 'Theirs' } })],
    ['delete-comment', () => ({ params: { postId, commentId } })],
    ['accept-answer', () => ({ params: { postId }, body: { commentId } })],
  ] as const;
  /**
   * A role the route's entry does not admit: 403 before anything is read. Outside the provision: the 404 of
   * a post that does not exist. The provision's company manager, whom the route admits: 403 (no Q&A for them).
   */
  it.each(
    routes.flatMap(([route, request]) =>
      (['foreignLearner', 'otherStaff', 'stranger', 'foreignCompanyManager', 'companyManager'] as const).map(
        (who) => [route, who, request] as const,
      ),
    ),
  )('%s refuses %s and changes nothing', async (route, who, request) => {
    const entry = routeList.find((r) => r.handler === `board/${route}`)!;
    const role = person(who)[1] as Role;
    const expected = !(entry.access as readonly Role[]).includes(role)
      ? 403
      : who === 'companyManager'
        ? 403
        : 404;
    const before = await board();
    const res = await call(route, who, request());
    expect(res.statusCode).toBe(expected);
    expect(await board()).toBe(before);
  });
});

describe('questions per minute of a video', () => {
  it('counts pinned questions by minute, for the institution’s staff only', async () => {
    for (const [who, second] of [
      ['crowd10', 30],
      ['crowd11', 59],
      ['crowd12', 60],
      ['crowd13', 95],
    ] as const) {
      await post(who, {
        board: 'qna',
        title: 'Here?',
        body: 'x',
        videoAt: { contentId: world.videoId, second },
      });
    }
    const foreign = await call('create-post', 'foreignLearner', {
      body: {
        provisionId: world.foreignProvisionId,
        board: 'qna',
        title: 'There?',
        body: 'x',
        videoAt: { contentId: world.videoId, second: 150 },
      },
    });
    expect(foreign.statusCode).toBe(201);
    // The question of earlier tests at 1:30 is among them.
    const all = await call('get-question-minutes', 'instructor', { params: { contentId: world.videoId } });
    expect(bodyOf(all)).toEqual({
      contentId: world.videoId,
      minutes: [
        { minute: 0, questions: 2 },
        { minute: 1, questions: 3 },
        { minute: 2, questions: 1 },
      ],
      questions: 6,
    });
    const one = await call('get-question-minutes', 'manager', {
      params: { contentId: world.videoId },
      query: { provisionId: world.provisionId },
    });
    expect(bodyOf(one)).toMatchObject({
      minutes: [
        { minute: 0, questions: 2 },
        { minute: 1, questions: 3 },
      ],
    });
    const other = await call('get-question-minutes', 'otherStaff', { params: { contentId: world.videoId } });
    expect([other.statusCode, fieldsOf(other)]).toEqual([404, ['path.contentId']]);
    const learner = await call('get-question-minutes', 'learner', { params: { contentId: world.videoId } });
    expect(learner.statusCode).toBe(403);
  });
});

describe('bad input', () => {
  it.each([
    [
      'create-post',
      { body: { provisionId: 'nope', board: 'qna', title: 'T', body: 'B' } },
      'body.provisionId',
    ],
    ['create-post', { body: { provisionId: '', board: 'wiki', title: 'T', body: 'B' } }, 'body.board'],
    ['create-post', { body: { board: 'qna', title: 'T', body: 'B' } }, 'body.provisionId'],
    [
      'create-post',
      { body: { title: '  ', board: 'qna', body: 'B', provisionId: randomUUID() } },
      'body.title',
    ],
    [
      'create-post',
      { body: { board: 'qna', title: 'T', body: 'x'.repeat(10_001), provisionId: randomUUID() } },
      'body.body',
    ],
    [
      'create-post',
      {
        body: {
          board: 'qna',
          title: 'T',
          body: 'B',
          provisionId: randomUUID(),
          videoAt: { contentId: randomUUID(), second: -1 },
        },
      },
      'body.videoAt.second',
    ],
    [
      'create-post',
      { body: { board: 'qna', title: 'T', body: 'B', provisionId: randomUUID(), extra: 1 } },
      'body.extra',
    ],
    ['create-post', { rawBody: '{"board":' }, 'body'],
    ['list-posts', { query: { provisionId: randomUUID(), board: 'qna', limit: '0' } }, 'query.limit'],
    ['get-post', { params: { postId: 'not-a-uuid' } }, 'path.postId'],
    ['list-my-posts', { query: { limit: '101' } }, 'query.limit'],
    ['delete-post', { params: { postId: '../x' } }, 'path.postId'],
    ['list-comments', { params: { postId: randomUUID() }, query: { cursor: '' } }, 'query.cursor'],
    [
      'update-comment',
      { params: { postId: randomUUID(), commentId: 'x' }, body: { body: 'a' } },
      'path.commentId',
    ],
    ['delete-comment', { params: { postId: randomUUID(), commentId: '1' } }, 'path.commentId'],
    ['update-post', { params: { postId: randomUUID() }, body: {} }, 'body'],
    ['create-comment', { params: { postId: randomUUID() }, body: { body: '' } }, 'body.body'],
    ['accept-answer', { params: { postId: randomUUID() }, body: { commentId: 7 } }, 'body.commentId'],
    [
      'get-question-minutes',
      { params: { contentId: randomUUID() }, query: { provisionId: 'x' } },
      'query.provisionId',
    ],
  ] as const)(
    '%s refuses bad input #%# with 400 naming the field, writing nothing',
    async (route, request, field) => {
      const before = await board();
      const res = await call(
        route,
        route === 'accept-answer' || route === 'get-question-minutes' ? 'manager' : 'learner',
        request as Request,
      );
      expect(res.statusCode).toBe(400);
      expect(res.headers?.['content-type']).toBe('application/problem+json');
      expect(fieldsOf(res)).toContain(field);
      expect(await board()).toBe(before);
    },
  );
});

describe('creates retried with an Idempotency-Key', () => {
  const KEY_FIELD = 'headers.idempotency-key';
  const keyed = (route: string, who: Who, key: string, r: Request = {}) =>
    call(route, who, { ...r, headers: { 'idempotency-key': key } });
  const question = (title: string) => ({
    body: { provisionId: world.provisionId, board: 'qna', title, body: 'Some text' },
  });
  const items = async () =>
    (await board())
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  const postsTitled = async (title: string) =>
    (await items()).filter((i) => i.sk === 'meta' && i.title === title);
  const commentsOf = async (postId: string) =>
    (await items()).filter((i) => i.pk === `post#${postId}` && String(i.sk).startsWith('comment#'));

  it('answers a retry with the first post (201, same id) and writes one', async () => {
    const key = randomUUID();
    const first = await keyed('create-post', 'learner', key, question('Once, retried'));
    const before = await board();
    const retry = await keyed('create-post', 'learner', key, question('Once, retried'));
    // The retry answers as the first attempt did: 201 with the same post.
    expect([first.statusCode, retry.statusCode]).toEqual([201, 201]);
    expect(bodyOf(retry)).toEqual(bodyOf(first));
    expect(await board()).toBe(before);
    expect(await postsTitled('Once, retried')).toHaveLength(1);
  });

  it('writes one post of 20 concurrent attempts with one key', async () => {
    const key = randomUUID();
    const results = await Promise.all(
      Array.from({ length: 20 }, () => keyed('create-post', 'learner', key, question('Twenty at once'))),
    );
    expect(results.map((r) => r.statusCode)).toEqual(results.map(() => 201));
    expect(new Set(results.map((r) => bodyOf(r).postId)).size).toBe(1);
    const made = await postsTitled('Twenty at once');
    expect(made.map((p) => p.postId)).toEqual([bodyOf(results[0]!).postId]);
  });

  it('writes one comment and counts it once of 20 concurrent attempts with one key', async () => {
    const { postId } = await post('learner', { board: 'qna', title: 'Answer me once' });
    const key = randomUUID();
    const results = await Promise.all(
      Array.from({ length: 20 }, () =>
        keyed('create-comment', 'instructor', key, { params: { postId }, body: { body: 'Like this.' } }),
      ),
    );
    expect(results.map((r) => r.statusCode)).toEqual(results.map(() => 201));
    expect(new Set(results.map((r) => bodyOf(r).commentId)).size).toBe(1);
    expect((await commentsOf(postId)).map((c) => c.commentId)).toEqual([bodyOf(results[0]!).commentId]);
    const [meta] = (await items()).filter((i) => i.pk === `post#${postId}` && i.sk === 'meta');
    expect(meta).toMatchObject({ commentCount: 1, staffAnswerCount: 1 });
    const read = await call('get-post', 'learner', { params: { postId } });
    expect(bodyOf(read)).toMatchObject({ commentCount: 1, answered: true });
  });

  it('refuses the same key for another request with 409 naming the header, writing nothing', async () => {
    const key = randomUUID();
    const { postId } = bodyOf<{ postId: string }>(
      await keyed('create-post', 'learner', key, question('First use of a key')),
    );
    const { postId: otherPostId } = await post('learner', { board: 'qna', title: 'Another question' });
    const comment = await keyed('create-comment', 'learner', key, {
      params: { postId },
      body: { body: 'Hm.' },
    });
    expect(comment.statusCode).toBe(201);
    const before = await board();
    for (const [route, request] of [
      ['create-post', question('Second use of a key')],
      ['create-comment', { params: { postId }, body: { body: 'Another text' } }],
      ['create-comment', { params: { postId: otherPostId }, body: { body: 'Hm.' } }],
    ] as const) {
      const res = await keyed(route, 'learner', key, request);
      expect([res.statusCode, fieldsOf(res)]).toEqual([409, [KEY_FIELD]]);
      expect(res.headers?.['content-type']).toBe('application/problem+json');
    }
    expect(await board()).toBe(before);
  });

  it('scopes a key to its caller, and keeps making posts without one', async () => {
    const key = randomUUID();
    const mine = await keyed('create-post', 'learner', key, question('Same key, two people'));
    const theirs = await keyed('create-post', 'crowd1', key, question('Same key, two people'));
    expect([mine.statusCode, theirs.statusCode]).toEqual([201, 201]);
    expect(bodyOf(theirs).postId).not.toBe(bodyOf(mine).postId);
    const a = await call('create-post', 'learner', question('No key, twice'));
    const b = await call('create-post', 'learner', question('No key, twice'));
    expect([a.statusCode, b.statusCode]).toEqual([201, 201]);
    expect(bodyOf(b).postId).not.toBe(bodyOf(a).postId);
    expect(await postsTitled('No key, twice')).toHaveLength(2);
    expect(await postsTitled('Same key, two people')).toHaveLength(2);
  });

  it('refuses a retry whose post was removed since with 409, making none', async () => {
    const key = randomUUID();
    const { postId } = bodyOf<{ postId: string }>(
      await keyed('create-post', 'learner', key, question('Soon removed')),
    );
    expect((await call('delete-post', 'learner', { params: { postId } })).statusCode).toBe(204);
    const before = await board();
    const retry = await keyed('create-post', 'learner', key, question('Soon removed'));
    expect([retry.statusCode, fieldsOf(retry)]).toEqual([409, [KEY_FIELD]]);
    expect(await board()).toBe(before);
  });

  it.each([
    ['create-post', ''],
    ['create-post', 'x'.repeat(65)],
    ['create-post', 'with space'],
    ['create-comment', 'schlüssel'],
    ['create-comment', 'a,b'],
  ])('%s refuses the key %j with 400 naming the header, writing nothing', async (route, key) => {
    const { postId } = await post('learner', { board: 'qna', title: 'Keys' });
    const before = await board();
    const res = await keyed(
      route,
      'learner',
      key,
      route === 'create-post' ? question('Bad key') : { params: { postId }, body: { body: 'B' } },
    );
    expect([res.statusCode, fieldsOf(res)]).toEqual([400, [KEY_FIELD]]);
    expect(res.headers?.['content-type']).toBe('application/problem+json');
    expect(await board()).toBe(before);
  });
});
