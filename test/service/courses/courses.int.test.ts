import { randomUUID } from 'node:crypto';
import {
  businessNumberFrom,
  serviceFixture,
  type CallOptions,
  type Person,
  type ServiceFixture,
} from '../service-fixture';

let f: ServiceFixture;
let manager: Person;
let instructor: Person;
let institutionId: string;

// eslint-disable-next-line @typescript-eslint/no-explicit-any
async function ok(who: Person, options: CallOptions, status = 200): Promise<Record<string, any>> {
  const r = await f.call(who, options);
  if (r.statusCode !== status) throw new Error(`expected ${status}, got ${r.statusCode}: ${r.body}`);
  return status === 204 ? {} : r.json();
}

/** A draft course with chapters of the given content titles. */
async function course(chapters: string[][]) {
  const c = await ok(manager, { method: 'POST', url: '/courses', payload: { title: 'Welding' } }, 201);
  const ids: { chapter: string; contents: string[] }[] = [];
  for (const [i, titles] of chapters.entries()) {
    const ch = await ok(
      manager,
      { method: 'POST', url: `/courses/${c.id}/chapters`, payload: { title: `Chapter ${i}` } },
      201,
    );
    const contents: string[] = [];
    for (const title of titles)
      contents.push(
        (
          await ok(
            manager,
            {
              method: 'POST',
              url: `/courses/${c.id}/chapters/${ch.id}/contents`,
              payload: { kind: 'material', title },
            },
            201,
          )
        ).id,
      );
    ids.push({ chapter: ch.id, contents });
  }
  return { id: c.id as string, chapters: ids };
}

/** The curriculum as the course page shows it: chapter titles with their content titles, in order. */
async function curriculum(courseId: string) {
  const c = await ok(manager, { method: 'GET', url: `/courses/${courseId}` });
  return (
    c.chapters as { title: string; position: number; contents: { title: string; position: number }[] }[]
  ).map((ch) => [ch.title, ch.contents.map((x) => x.title)]);
}

/** Every position, archived contents included: contiguous from 0 in each chapter and course. */
async function positions(courseId: string) {
  const chapters = await f.database.db
    .selectFrom('chapters')
    .select(['id', 'position'])
    .where('course_id', '=', courseId)
    .orderBy('position')
    .execute();
  const contents = await f.database.db
    .selectFrom('contents')
    .select(['chapter_id', 'position', 'state'])
    .where('course_id', '=', courseId)
    .orderBy('position')
    .execute();
  return {
    chapters: chapters.map((c) => c.position),
    contents: chapters.map((c) =>
      contents.filter((x) => x.chapter_id === c.id).map((x) => `${x.position}:${x.state}`),
    ),
  };
}

beforeAll(async () => {
  f = await serviceFixture('courses');
  manager = await f.person(['institution-manager']);
  instructor = await f.person(['instructor']);
  institutionId = (
    await ok(
      manager,
      {
        method: 'POST',
        url: '/institutions',
        payload: {
          name: 'Academy',
          ownerName: 'Lee',
          businessNumber: businessNumberFrom('401810001'),
          certificationNumber: 'C-1',
          contactEmail: 'a@example.com',
          contactPhone: '02-111-2222',
        },
      },
      201,
    )
  ).id;
});
afterAll(() => f.close());

describe('institution members', () => {
  it('lets a manager add an instructor, who then builds courses but cannot publish them', async () => {
    const added = await ok(manager, {
      method: 'PUT',
      url: `/institutions/${institutionId}/members/${instructor.sub}`,
      payload: { role: 'instructor' },
    });
    expect(added).toMatchObject({ userSub: instructor.sub, role: 'instructor' });
    const members = await ok(instructor, { method: 'GET', url: `/institutions/${institutionId}/members` });
    expect(members.map((m: { userSub: string }) => m.userSub).sort()).toEqual(
      [manager.sub, instructor.sub].sort(),
    );
    const c = await ok(
      instructor,
      { method: 'POST', url: '/courses', payload: { title: 'Cranes', instructorSub: instructor.sub } },
      201,
    );
    const ch = await ok(
      instructor,
      { method: 'POST', url: `/courses/${c.id}/chapters`, payload: { title: 'One' } },
      201,
    );
    await ok(
      instructor,
      {
        method: 'POST',
        url: `/courses/${c.id}/chapters/${ch.id}/contents`,
        payload: { kind: 'material', title: 'Notes' },
      },
      201,
    );
    const refused = await f.call(instructor, { method: 'POST', url: `/courses/${c.id}/publish` });
    expect(refused.statusCode).toBe(403);
    // Instructors do not change members either.
    expect(
      (
        await f.call(instructor, {
          method: 'PUT',
          url: `/institutions/${institutionId}/members/${randomUUID()}`,
          payload: { role: 'instructor' },
        })
      ).statusCode,
    ).toBe(403);
  });

  it('keeps at least one manager, and a person in one institution', async () => {
    const demote = await f.call(manager, {
      method: 'PUT',
      url: `/institutions/${institutionId}/members/${manager.sub}`,
      payload: { role: 'instructor' },
    });
    expect(demote.statusCode).toBe(409);
    const leave = await f.call(manager, {
      method: 'DELETE',
      url: `/institutions/${institutionId}/members/${manager.sub}`,
    });
    expect(leave.statusCode).toBe(409);

    const other = await f.person(['institution-manager']);
    await ok(
      other,
      {
        method: 'POST',
        url: '/institutions',
        payload: {
          name: 'Other',
          ownerName: 'Kim',
          businessNumber: businessNumberFrom('401810002'),
          certificationNumber: 'C-2',
          contactEmail: 'o@example.com',
          contactPhone: '02-111-3333',
        },
      },
      201,
    );
    const poach = await f.call(manager, {
      method: 'PUT',
      url: `/institutions/${institutionId}/members/${other.sub}`,
      payload: { role: 'instructor' },
    });
    expect(poach.statusCode).toBe(409);
    const gone = await f.call(manager, {
      method: 'DELETE',
      url: `/institutions/${institutionId}/members/${randomUUID()}`,
    });
    expect(gone.statusCode).toBe(404);
  });

  it('refuses a course instructor who does not teach at the institution', async () => {
    const r = await f.call(manager, {
      method: 'POST',
      url: '/courses',
      payload: { title: 'Cranes', instructorSub: randomUUID() },
    });
    expect(r.statusCode).toBe(400);
    expect(r.json().errors).toEqual([
      { field: 'body.instructorSub', message: 'not a member of this institution' },
    ]);
  });
});

describe('course editing', () => {
  it('edits a course’s description and refuses any change once it is archived', async () => {
    const c = await course([['Intro']]);
    const edited = await ok(manager, {
      method: 'PATCH',
      url: `/courses/${c.id}`,
      payload: {
        title: 'Welding II',
        introduction: 'MIG and TIG',
        coverImageUrl: 'https://cdn.example.com/w.png',
      },
    });
    expect(edited).toMatchObject({ title: 'Welding II', introduction: 'MIG and TIG', state: 'draft' });
    await ok(manager, { method: 'POST', url: `/courses/${c.id}/archive` });
    for (const call of [
      { method: 'PATCH', url: `/courses/${c.id}`, payload: { title: 'Again' } },
      { method: 'POST', url: `/courses/${c.id}/chapters`, payload: { title: 'More' } },
      {
        method: 'PATCH',
        url: `/courses/${c.id}/chapters/${c.chapters[0]!.chapter}`,
        payload: { position: 0 },
      },
      { method: 'DELETE', url: `/courses/${c.id}/contents/${c.chapters[0]!.contents[0]}` },
    ] as const)
      expect((await f.call(manager, call)).statusCode).toBe(409);
  });
});

describe('course page', () => {
  it('answers in the shapes of the other routes: same fields, same date format, empty lists as []', async () => {
    const c = await course([['a'], []]);
    const edited = await ok(manager, {
      method: 'PATCH',
      url: `/courses/${c.id}`,
      payload: { instructorSub: instructor.sub },
    });
    const res = await f.call(manager, { method: 'GET', url: `/courses/${c.id}` });
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
    const { chapters, enrollment, ...top } = res.json();
    expect(top).toEqual(edited);
    expect(top.updatedAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(enrollment).toBeNull();
    const added = await ok(manager, {
      method: 'PATCH',
      url: `/courses/${c.id}/contents/${c.chapters[0]!.contents[0]}`,
      payload: { title: 'a' },
    });
    const content = { ...added };
    delete content.state;
    expect(chapters).toEqual([
      {
        id: c.chapters[0]!.chapter,
        title: 'Chapter 0',
        position: 0,
        purpose: null,
        contents: [{ ...content, durationSeconds: null, mediaError: null }],
      },
      { id: c.chapters[1]!.chapter, title: 'Chapter 1', position: 1, purpose: null, contents: [] },
    ]);
  });

  it('tells the course’s authors why a video failed to transcode, and nobody else', async () => {
    const c = await course([['notes']]);
    const video = await ok(
      manager,
      {
        method: 'POST',
        url: `/courses/${c.id}/chapters/${c.chapters[0]!.chapter}/contents`,
        payload: { kind: 'video', title: 'Lecture' },
      },
      201,
    );
    // As the vod domain's video.failed event leaves it (service/src/courses/media.ts).
    await f.database.db
      .updateTable('contents')
      .set({ media_state: 'failed', media_error: 'not a video stream' })
      .where('id', '=', video.id)
      .execute();
    await ok(manager, { method: 'POST', url: `/courses/${c.id}/publish` });
    const lecture = async (who: Person) =>
      (await ok(who, { method: 'GET', url: `/courses/${c.id}` })).chapters[0].contents[1];
    expect(await lecture(manager)).toMatchObject({ mediaState: 'failed', mediaError: 'not a video stream' });
    expect(await lecture(instructor)).toMatchObject({ mediaError: 'not a video stream' });
    const companyManager = await f.person(['company-manager']);
    expect(await lecture(companyManager)).toMatchObject({ mediaState: 'failed', mediaError: null });
  });
});

describe('curriculum order', () => {
  it('moves a chapter by one call, the others shifting to keep positions contiguous', async () => {
    const c = await course([['a'], ['b'], ['c'], ['d']]);
    await ok(manager, {
      method: 'PATCH',
      url: `/courses/${c.id}/chapters/${c.chapters[3]!.chapter}`,
      payload: { position: 1 },
    });
    expect((await curriculum(c.id)).map(([t]) => t)).toEqual([
      'Chapter 0',
      'Chapter 3',
      'Chapter 1',
      'Chapter 2',
    ]);
    await ok(manager, {
      method: 'PATCH',
      url: `/courses/${c.id}/chapters/${c.chapters[0]!.chapter}`,
      payload: { position: 3 },
    });
    expect((await curriculum(c.id)).map(([t]) => t)).toEqual([
      'Chapter 3',
      'Chapter 1',
      'Chapter 2',
      'Chapter 0',
    ]);
    expect((await positions(c.id)).chapters).toEqual([0, 1, 2, 3]);
    const beyond = await f.call(manager, {
      method: 'PATCH',
      url: `/courses/${c.id}/chapters/${c.chapters[0]!.chapter}`,
      payload: { position: 4 },
    });
    expect(beyond.statusCode).toBe(400);
    expect(beyond.json().errors).toEqual([{ field: 'body.position', message: 'must be between 0 and 3' }]);
  });

  it('moves contents within a chapter and across chapters', async () => {
    const c = await course([
      ['a', 'b', 'c', 'd'],
      ['x', 'y'],
    ]);
    const [a, , , d] = c.chapters[0]!.contents;
    await ok(manager, { method: 'PATCH', url: `/courses/${c.id}/contents/${d}`, payload: { position: 0 } });
    await ok(manager, { method: 'PATCH', url: `/courses/${c.id}/contents/${a}`, payload: { position: 3 } });
    expect(await curriculum(c.id)).toEqual([
      ['Chapter 0', ['d', 'b', 'c', 'a']],
      ['Chapter 1', ['x', 'y']],
    ]);
    await ok(manager, {
      method: 'PATCH',
      url: `/courses/${c.id}/contents/${a}`,
      payload: { chapterId: c.chapters[1]!.chapter, position: 1 },
    });
    await ok(manager, {
      method: 'PATCH',
      url: `/courses/${c.id}/contents/${d}`,
      payload: { chapterId: c.chapters[1]!.chapter, position: 3 },
    });
    expect(await curriculum(c.id)).toEqual([
      ['Chapter 0', ['b', 'c']],
      ['Chapter 1', ['x', 'a', 'y', 'd']],
    ]);
    expect((await positions(c.id)).contents).toEqual([
      ['0:active', '1:active'],
      ['0:active', '1:active', '2:active', '3:active'],
    ]);
  });

  it('keeps order under concurrent moves from two editors', async () => {
    const c = await course([['a', 'b', 'c', 'd', 'e', 'f']]);
    const ids = c.chapters[0]!.contents;
    const moves = ids.flatMap((id, i) => [
      f.call(i % 2 ? manager : instructor, {
        method: 'PATCH',
        url: `/courses/${c.id}/contents/${id}`,
        payload: { position: 5 - i },
      }),
    ]);
    expect((await Promise.all(moves)).map((r) => r.statusCode)).toEqual(ids.map(() => 200));
    const order = (await curriculum(c.id))[0]![1];
    expect([...order].sort()).toEqual(['a', 'b', 'c', 'd', 'e', 'f']);
    expect((await positions(c.id)).contents).toEqual([[0, 1, 2, 3, 4, 5].map((p) => `${p}:active`)]);
  });

  it('renames chapters and contents, one change per call', async () => {
    const c = await course([['a']]);
    await ok(manager, {
      method: 'PATCH',
      url: `/courses/${c.id}/chapters/${c.chapters[0]!.chapter}`,
      payload: { title: 'Safety first' },
    });
    await ok(manager, {
      method: 'PATCH',
      url: `/courses/${c.id}/contents/${c.chapters[0]!.contents[0]}`,
      payload: { title: 'Gloves' },
    });
    expect(await curriculum(c.id)).toEqual([['Safety first', ['Gloves']]]);
    const both = await f.call(manager, {
      method: 'PATCH',
      url: `/courses/${c.id}/contents/${c.chapters[0]!.contents[0]}`,
      payload: { title: 'Boots', position: 0 },
    });
    expect(both.statusCode).toBe(400);
  });
});

describe('removing contents', () => {
  it('removes contents and empty chapters of a course nobody is enrolled in, closing the gaps', async () => {
    const c = await course([['a', 'b', 'c'], []]);
    const occupied = await f.call(manager, {
      method: 'DELETE',
      url: `/courses/${c.id}/chapters/${c.chapters[0]!.chapter}`,
    });
    expect(occupied.statusCode).toBe(409);
    await ok(
      manager,
      { method: 'DELETE', url: `/courses/${c.id}/contents/${c.chapters[0]!.contents[1]}` },
      204,
    );
    await ok(manager, { method: 'DELETE', url: `/courses/${c.id}/chapters/${c.chapters[1]!.chapter}` }, 204);
    expect(await curriculum(c.id)).toEqual([['Chapter 0', ['a', 'c']]]);
    expect(await positions(c.id)).toEqual({ chapters: [0], contents: [['0:active', '1:active']] });
  });

  it('once learners are enrolled, refuses removal and archives instead, keeping active contents first', async () => {
    const c = await course([['a', 'b', 'c']]);
    await ok(manager, { method: 'POST', url: `/courses/${c.id}/publish` });
    // An enrollment straight into the tables: the provision flow is tested in the provisions tests.
    const company = await f.database.db
      .insertInto('companies')
      .values({
        name: 'Hanbit',
        owner_name: 'Park',
        business_number: businessNumberFrom('401810003'),
        email: `${randomUUID()}@example.com`,
        phone: '031-555-0101',
        created_by: 'test',
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    const provision = await f.database.db
      .insertInto('provisions')
      .values({
        company_id: company.id,
        course_id: c.id,
        institution_id: institutionId,
        starts_on: '2026-12-01',
        ends_on: '2027-01-31',
        attendee_count: 5,
        enrolled_count: 1,
        deposit_amount: 0,
        state: 'accepted',
        requested_by: 'test',
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    await f.database.db
      .insertInto('enrollments')
      .values({ provision_id: provision.id, course_id: c.id, user_sub: randomUUID() })
      .execute();

    const [a, b] = c.chapters[0]!.contents;
    const refused = await f.call(manager, { method: 'DELETE', url: `/courses/${c.id}/contents/${a}` });
    expect(refused.statusCode).toBe(409);
    expect(refused.json().detail ?? refused.json().title).toMatch(/archive/);
    const archived = await ok(manager, { method: 'POST', url: `/courses/${c.id}/contents/${a}/archive` });
    expect(archived).toMatchObject({ state: 'archived', position: 2 });
    expect(await curriculum(c.id)).toEqual([['Chapter 0', ['b', 'c']]]);
    // A new content goes after the active ones, before the archived one.
    await ok(
      manager,
      {
        method: 'POST',
        url: `/courses/${c.id}/chapters/${c.chapters[0]!.chapter}/contents`,
        payload: { kind: 'video', title: 'd' },
      },
      201,
    );
    await ok(manager, { method: 'PATCH', url: `/courses/${c.id}/contents/${b}`, payload: { position: 2 } });
    expect(await curriculum(c.id)).toEqual([['Chapter 0', ['c', 'd', 'b']]]);
    expect((await positions(c.id)).contents).toEqual([['0:active', '1:active', '2:active', '3:archived']]);
    const tooFar = await f.call(manager, {
      method: 'PATCH',
      url: `/courses/${c.id}/contents/${b}`,
      payload: { position: 3 },
    });
    expect(tooFar.statusCode).toBe(400);
  });
});
