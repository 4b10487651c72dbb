import { randomUUID } from 'node:crypto';
import { dropWorld, snapshot } from '../live/live-fixture';
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
} from '../board/board-fixture';

/*
 * The notes routes as deployed, against DynamoDB Local: notes with drawings at seconds of a video, listed in
 * time order a page at a time, edits that keep every version (also when they race), deletes that leave a
 * tombstone, the Markdown export; only the author reads a note, and bad input is named by field and writes
 * nothing.
 */

let world: BoardWorld;
let restoreEnv: () => void;
let h: Record<string, Handler>;

beforeAll(async () => {
  world = await createBoardWorld('notes', 2);
  restoreEnv = boardEnv(world);
  h = await loadHandlers('notes', [
    'create-note',
    'list-notes',
    'get-note',
    'update-note',
    'delete-note',
    'list-note-versions',
    'export-notes',
  ]);
});
afterAll(async () => {
  restoreEnv();
  await dropWorld(world);
});

type Who = 'learner' | 'peer' | 'foreignLearner' | 'stranger' | 'instructor';
function person(who: Who): [string, string] {
  if (who === 'peer') return [world.crowd[0]!, 'learner'];
  if (who === 'instructor') return [world.people.instructor, 'instructor'];
  return [world.people[who], 'learner'];
}
const call = (route: string, who: Who, r: Request = {}) => {
  const [sub, roles] = person(who);
  return h[route]!(requestOf(sub, roles, r));
};
const notes = () => snapshot(world.tables.notes!);

const drawing = {
  strokes: [
    {
      color: '#ff0000',
      width: 4,
      points: [
        [0.1, 0.2],
        [0.3, 0.4],
      ],
    },
  ],
};

async function note(who: Who, second: number, text: string, extra: Record<string, unknown> = {}) {
  const res = await call('create-note', who, { body: { contentId: world.videoId, second, text, ...extra } });
  expect(res.statusCode).toBe(201);
  return bodyOf<{ noteId: string; version: number }>(res);
}

describe('notes on a video', () => {
  it('keeps text and drawings, listed in time order a page at a time', async () => {
    await note('learner', 300, 'Five minutes in');
    await note('learner', 10, 'Intro');
    const pinned = await note('learner', 90, 'The bowline', { drawing });
    expect(pinned).toMatchObject({ second: 90, text: 'The bowline', drawing, version: 1, deleted: false });
    await note('peer', 50, 'Someone else’s');

    const seconds: number[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const res = await call('list-notes', 'learner', {
        query: { contentId: world.videoId, limit: '2', ...(cursor ? { cursor } : {}) },
      });
      expect(res.statusCode).toBe(200);
      const page = bodyOf<{ notes: { second: number }[]; cursor?: string }>(res);
      seconds.push(...page.notes.map((n) => n.second));
      cursor = page.cursor;
      pages += 1;
    } while (cursor);
    expect(seconds).toEqual([10, 90, 300]);
    expect(pages).toBeGreaterThanOrEqual(2);
  });

  it('keeps every version an edit replaces, and refuses an edit of an old version', async () => {
    const { noteId } = await note('learner', 120, 'First');
    const second = await call('update-note', 'learner', {
      params: { noteId },
      body: { text: 'Second', version: 1 },
    });
    expect(bodyOf(second)).toMatchObject({ text: 'Second', version: 2 });
    const third = await call('update-note', 'learner', {
      params: { noteId },
      body: { second: 125, drawing },
    });
    expect(bodyOf(third)).toMatchObject({ text: 'Second', second: 125, drawing, version: 3 });
    const before = await notes();
    const stale = await call('update-note', 'learner', {
      params: { noteId },
      body: { text: 'Late', version: 2 },
    });
    expect([stale.statusCode, fieldsOf(stale)]).toEqual([409, ['body.version']]);
    expect(await notes()).toBe(before);
    const undrawn = await call('update-note', 'learner', { params: { noteId }, body: { drawing: null } });
    expect(bodyOf(undrawn)).not.toHaveProperty('drawing');

    const versions = await call('list-note-versions', 'learner', { params: { noteId } });
    expect(bodyOf<{ versions: unknown[] }>(versions).versions).toEqual([
      expect.objectContaining({ version: 1, text: 'First', second: 120 }),
      expect.objectContaining({ version: 2, text: 'Second', second: 120 }),
      expect.objectContaining({ version: 3, text: 'Second', second: 125, drawing }),
    ]);
    const paged = await call('list-note-versions', 'learner', { params: { noteId }, query: { limit: '2' } });
    const { cursor } = bodyOf<{ cursor: string }>(paged);
    const rest = await call('list-note-versions', 'learner', { params: { noteId }, query: { cursor } });
    expect(bodyOf<{ versions: { version: number }[] }>(rest).versions.map((v) => v.version)).toEqual([3]);
  });

  it('lets one of racing edits of the same version win, losing no history', async () => {
    const { noteId } = await note('learner', 200, 'Base');
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        call('update-note', 'learner', { params: { noteId }, body: { text: `Edit ${i}`, version: 1 } }),
      ),
    );
    const statuses = results.map((r) => r.statusCode).sort();
    expect(statuses).toEqual([200, ...Array<number>(9).fill(409)]);
    const now = bodyOf<{ version: number; text: string }>(
      await call('get-note', 'learner', { params: { noteId } }),
    );
    expect(now.version).toBe(2);
    const versions = bodyOf<{ versions: { text: string }[] }>(
      await call('list-note-versions', 'learner', { params: { noteId } }),
    ).versions;
    expect(versions.map((v) => v.text)).toEqual(['Base']);
  });

  it('leaves a tombstone when deleted, with the versions still readable', async () => {
    const { noteId } = await note('learner', 240, 'Doomed', { drawing });
    expect((await call('delete-note', 'learner', { params: { noteId } })).statusCode).toBe(204);
    const tomb = await call('get-note', 'learner', { params: { noteId } });
    expect(bodyOf(tomb)).toMatchObject({ noteId, deleted: true, version: 2, deletedAt: expect.any(String) });
    expect(bodyOf(tomb)).not.toHaveProperty('text');
    expect(bodyOf(tomb)).not.toHaveProperty('drawing');
    const listed = await call('list-notes', 'learner', { query: { contentId: world.videoId, limit: '50' } });
    expect(bodyOf<{ notes: { noteId: string }[] }>(listed).notes.map((n) => n.noteId)).not.toContain(noteId);
    const versions = await call('list-note-versions', 'learner', { params: { noteId } });
    expect(bodyOf<{ versions: unknown[] }>(versions).versions).toEqual([
      expect.objectContaining({ version: 1, text: 'Doomed', drawing }),
    ]);
    const before = await notes();
    const again = await call('delete-note', 'learner', { params: { noteId } });
    expect(again.statusCode).toBe(204);
    const edit = await call('update-note', 'learner', { params: { noteId }, body: { text: 'Back' } });
    expect([edit.statusCode, fieldsOf(edit)]).toEqual([409, ['path.noteId']]);
    expect(await notes()).toBe(before);
  });

  it('exports a course’s notes as Markdown with timestamps', async () => {
    const res = await call('export-notes', 'learner', { query: { courseId: world.courseId } });
    expect(res.statusCode).toBe(200);
    expect(res.headers?.['content-type']).toBe('text/markdown; charset=utf-8');
    const md = res.body!;
    expect(md).toContain(`# Notes on course ${world.courseId}`);
    expect(md).toContain(`## Video ${world.videoId}`);
    expect(md).toContain('- **[0:10]** Intro');
    expect(md).toContain('- **[1:30]** The bowline\n  _(drawing: 1 stroke)_');
    expect(md).toContain('- **[5:00]** Five minutes in');
    expect(md.indexOf('[0:10]')).toBeLessThan(md.indexOf('[1:30]'));
    expect(md).not.toContain('Doomed');
    expect(md).not.toContain('Someone else’s');
    const none = await call('export-notes', 'peer', { query: { courseId: randomUUID() } });
    expect(none.body).toContain('_No notes yet._');
  });
});

describe('privacy', () => {
  it('shows a note to its author only, and lets nobody else change it', async () => {
    const { noteId } = await note('learner', 33, 'Mine alone');
    const before = await notes();
    for (const who of ['peer', 'foreignLearner', 'stranger'] as const) {
      const reads = await Promise.all([
        call('get-note', who, { params: { noteId } }),
        call('list-note-versions', who, { params: { noteId } }),
        call('update-note', who, { params: { noteId }, body: { text: 'Theirs' } }),
        call('delete-note', who, { params: { noteId } }),
      ]);
      expect(reads.map((r) => r.statusCode)).toEqual([404, 404, 404, 404]);
      expect(fieldsOf(reads[0]!)).toEqual(['path.noteId']);
      const listed = await call('list-notes', who, { query: { contentId: world.videoId } });
      expect(bodyOf<{ notes: { noteId: string }[] }>(listed).notes.map((n) => n.noteId)).not.toContain(
        noteId,
      );
    }
    const staff = await call('get-note', 'instructor', { params: { noteId } });
    expect(staff.statusCode).toBe(403);
    expect(await notes()).toBe(before);
  });

  it('takes notes only on videos the learner watches', async () => {
    const before = await notes();
    const material = await call('create-note', 'learner', {
      body: { contentId: world.materialId, second: 1, text: 'x' },
    });
    expect([material.statusCode, fieldsOf(material)]).toEqual([422, ['body.contentId']]);
    for (const [who, contentId] of [
      ['stranger', world.videoId],
      ['learner', world.otherVideoId],
      ['learner', randomUUID()],
    ] as const) {
      const res = await call('create-note', who, { body: { contentId, second: 1, text: 'x' } });
      expect([res.statusCode, fieldsOf(res)]).toEqual([404, ['body.contentId']]);
    }
    expect(await notes()).toBe(before);
  });
});

describe('bad input', () => {
  const big = {
    strokes: Array.from({ length: 40 }, () => ({
      color: '#000000',
      width: 2,
      points: Array.from({ length: 200 }, () => [0.123456789, 0.987654321]),
    })),
  };
  it.each([
    ['create-note', 'body.contentId', { body: { contentId: 'x', second: 1, text: 'a' } }],
    ['create-note', 'body.second', { body: { contentId: randomUUID(), second: 1.5, text: 'a' } }],
    ['create-note', 'body.second', { body: { contentId: randomUUID(), second: 90_000, text: 'a' } }],
    ['create-note', 'body.text', { body: { contentId: randomUUID(), second: 1, text: '' } }],
    ['create-note', 'body.text', { body: { contentId: randomUUID(), second: 1, text: 'x'.repeat(5001) } }],
    [
      'create-note',
      'body.drawing',
      { body: { contentId: randomUUID(), second: 1, text: 'a', drawing: big } },
    ],
    [
      'create-note',
      'body.drawing.strokes.0.color',
      {
        body: {
          contentId: randomUUID(),
          second: 1,
          text: 'a',
          drawing: { strokes: [{ ...drawing.strokes[0], color: 'red' }] },
        },
      },
    ],
    [
      'create-note',
      'body.drawing.strokes.0.points.0.0',
      {
        body: {
          contentId: randomUUID(),
          second: 1,
          text: 'a',
          drawing: { strokes: [{ ...drawing.strokes[0], points: [[2, 0]] }] },
        },
      },
    ],
    ['list-notes', 'query.limit', { query: { contentId: randomUUID(), limit: '51' } }],
    ['list-notes', 'query.cursor', { query: { contentId: randomUUID(), cursor: '' } }],
    ['update-note', 'body', { params: { noteId: randomUUID() }, body: {} }],
    ['update-note', 'body.version', { params: { noteId: randomUUID() }, body: { text: 'a', version: 0 } }],
    ['get-note', 'path.noteId', { params: { noteId: '1' } }],
    ['delete-note', 'path.noteId', { params: { noteId: 'x' } }],
    ['list-note-versions', 'query.limit', { params: { noteId: randomUUID() }, query: { limit: 'many' } }],
    ['export-notes', 'query.courseId', { query: {} }],
  ] as const)('%s refuses a bad %s with 400 naming it, writing nothing', async (route, field, request) => {
    const before = await notes();
    const res = await call(route, 'learner', request as Request);
    expect(res.statusCode).toBe(400);
    expect(fieldsOf(res)).toContain(field);
    expect(await notes()).toBe(before);
  });

  it('refuses an edit that would leave neither text nor drawing, and a cursor of another video', async () => {
    const { noteId } = await note('learner', 5, 'Short');
    const before = await notes();
    const empty = await call('update-note', 'learner', { params: { noteId }, body: { text: '' } });
    expect([empty.statusCode, fieldsOf(empty)]).toEqual([400, ['body.text']]);
    const first = await call('list-notes', 'learner', { query: { contentId: world.videoId, limit: '1' } });
    const { cursor } = bodyOf<{ cursor: string }>(first);
    const foreign = await call('list-notes', 'learner', { query: { contentId: world.materialId, cursor } });
    expect([foreign.statusCode, fieldsOf(foreign)]).toEqual([400, ['query.cursor']]);
    expect(await notes()).toBe(before);
  });
});

describe('creates retried with an Idempotency-Key', () => {
  const KEY_FIELD = 'headers.idempotency-key';
  const create = (who: Who, text: string, key?: string, extra: Record<string, unknown> = {}) =>
    call('create-note', who, {
      body: { contentId: world.videoId, second: 42, text, ...extra },
      ...(key === undefined ? {} : { headers: { 'idempotency-key': key } }),
    });
  const notesSaying = async (text: string) =>
    (await notes())
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .filter((i) => i.sk === 'meta' && i.text === text);

  it('answers a retry with the first note (201, same id) and keeps one', async () => {
    const key = randomUUID();
    const first = await create('learner', 'Kept once', key, { drawing });
    const before = await notes();
    // The retry answers as the first attempt did: 201 with the same note.
    const retry = await create('learner', 'Kept once', key, { drawing });
    expect([first.statusCode, retry.statusCode]).toEqual([201, 201]);
    expect(bodyOf(retry)).toEqual(bodyOf(first));
    expect(await notes()).toBe(before);
    expect(await notesSaying('Kept once')).toHaveLength(1);
  });

  it('keeps one note of 20 concurrent attempts with one key', async () => {
    const key = randomUUID();
    const results = await Promise.all(
      Array.from({ length: 20 }, () => create('learner', 'Twenty at once', key)),
    );
    expect(results.map((r) => r.statusCode)).toEqual(results.map(() => 201));
    expect(new Set(results.map((r) => bodyOf(r).noteId)).size).toBe(1);
    expect((await notesSaying('Twenty at once')).map((n) => n.noteId)).toEqual([bodyOf(results[0]!).noteId]);
  });

  it('answers a retry after an edit with the note as it is now', async () => {
    const key = randomUUID();
    const { noteId } = bodyOf<{ noteId: string }>(await create('learner', 'Before the edit', key));
    await call('update-note', 'learner', { params: { noteId }, body: { text: 'After the edit' } });
    const retry = await create('learner', 'Before the edit', key);
    expect([retry.statusCode, bodyOf(retry)]).toEqual([
      201,
      expect.objectContaining({ noteId, text: 'After the edit', version: 2 }),
    ]);
  });

  it('refuses the same key for another note, or after its note was deleted, with 409 naming it', async () => {
    const key = randomUUID();
    const { noteId } = bodyOf<{ noteId: string }>(await create('learner', 'First use', key));
    const before = await notes();
    const other = await create('learner', 'Second use', key);
    expect([other.statusCode, fieldsOf(other)]).toEqual([409, [KEY_FIELD]]);
    expect(other.headers?.['content-type']).toBe('application/problem+json');
    expect(await notes()).toBe(before);
    expect((await call('delete-note', 'learner', { params: { noteId } })).statusCode).toBe(204);
    const afterDelete = await notes();
    const retry = await create('learner', 'First use', key);
    expect([retry.statusCode, fieldsOf(retry)]).toEqual([409, [KEY_FIELD]]);
    expect(await notes()).toBe(afterDelete);
  });

  it('scopes a key to its caller, and keeps making notes without one', async () => {
    const key = randomUUID();
    const mine = await create('learner', 'Same key, two people', key);
    const theirs = await create('peer', 'Same key, two people', key);
    expect([mine.statusCode, theirs.statusCode]).toEqual([201, 201]);
    expect(bodyOf(theirs).noteId).not.toBe(bodyOf(mine).noteId);
    const a = await create('learner', 'No key, twice');
    const b = await create('learner', 'No key, twice');
    expect([a.statusCode, b.statusCode]).toEqual([201, 201]);
    expect(bodyOf(b).noteId).not.toBe(bodyOf(a).noteId);
    expect(await notesSaying('No key, twice')).toHaveLength(2);
  });

  it.each(['', 'k'.repeat(65), 'a b', 'ключ', 'a/b'])(
    'refuses the key %j with 400 naming the header, writing nothing',
    async (key) => {
      const before = await notes();
      const res = await create('learner', 'Bad key', key);
      expect([res.statusCode, fieldsOf(res)]).toEqual([400, [KEY_FIELD]]);
      expect(res.headers?.['content-type']).toBe('application/problem+json');
      expect(await notes()).toBe(before);
    },
  );
});
