import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import ffmpeg from '@ffmpeg-installer/ffmpeg';
import { COOKIES } from '#contracts/resources';
import { DEMO_IDENTITIES } from './demo-identities';
import type { LocalPlatform } from './platform';

/*
 * The demo world a newcomer sees at the first `npm start`: made through the real HTTP API as the demo people
 * would make it (their tokens from the local issuer, in the session cookie), so it goes through the same
 * checks, events and projections as anything they do by hand afterwards. Every step looks before it makes,
 * so a persistent DATABASE_URL is seeded once; the published demo course is what the second start finds.
 */

/** The demo course, found by this title at the next start. */
export const DEMO_COURSE_TITLE = 'Forklift safety essentials (demo)';
/** The course the open session offers, for the catalog. */
export const DEMO_SESSION_COURSE_TITLE = 'Loading dock refresher (demo)';
const INSTITUTION_NAME = 'Demo Academy';
const COMPANY_NAME = 'Demo Logistics';
// Valid business registration numbers (their check digits computed), fixed so a second start finds them.
const INSTITUTION_BUSINESS_NUMBER = '2208100016';
const COMPANY_BUSINESS_NUMBER = '2208100020';
const DAY_MS = 86_400_000;

const demo = (id: string) => {
  const identity = DEMO_IDENTITIES.find((d) => d.id === id);
  if (!identity) throw new Error(`No demo identity ${id}`);
  return identity;
};

/** A failed call, with what the server said. */
export class UnexpectedAnswer extends Error {}

/** Calls to the local platform as the demo people make them: their token in the session cookie. */
export interface LocalClient {
  tokenFor(identity: string): Promise<string>;
  send(who: string, method: string, path: string, body?: unknown): Promise<Response>;
  /** `send`, refusing any status but `status`; the answer parsed (undefined when empty). */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- answers are read field by field
  call(who: string, method: string, path: string, body?: unknown, status?: number): Promise<any>;
}

export function localClient(url: string): LocalClient {
  const tokens = new Map<string, Promise<string>>();
  const tokenFor = (identity: string) => {
    let token = tokens.get(identity);
    if (!token) {
      token = fetch(`${url}/local/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ identity }),
      }).then(async (res) => {
        if (!res.ok) throw new UnexpectedAnswer(`POST /local/token ${identity}: ${res.status}`);
        return ((await res.json()) as { access_token: string }).access_token;
      });
      tokens.set(identity, token);
    }
    return token;
  };
  const send = async (who: string, method: string, path: string, body?: unknown) =>
    fetch(`${url}${path}`, {
      method,
      headers: { cookie: `${COOKIES.access}=${await tokenFor(who)}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  return {
    tokenFor,
    send,
    async call(who, method, path, body, status = 200) {
      const res = await send(who, method, path, body);
      const text = await res.text();
      if (res.status !== status)
        throw new UnexpectedAnswer(`${method} ${path} as ${who}: ${res.status}, not ${status}: ${text}`);
      return text ? JSON.parse(text) : undefined;
    },
  };
}

/**
 * A browser's upload of a file to a content: the upload session, presigned part URLs, a PUT per part (the
 * ETags from the answers' headers), then completion.
 */
export async function uploadFile(
  client: LocalClient,
  who: string,
  content: { readonly id: string; readonly fileName: string; readonly contentType: string },
  file: Buffer,
): Promise<void> {
  const started = (await client.call(
    who,
    'POST',
    '/uploads',
    {
      contentId: content.id,
      fileName: content.fileName,
      size: file.length,
      contentType: content.contentType,
    },
    201,
  )) as { uploadId: string; partSize: number; partCount: number };
  const id = encodeURIComponent(started.uploadId);
  const urls = (await client.call(who, 'GET', `/uploads/${id}/part-urls?from=1&to=${started.partCount}`)) as {
    partNumber: number;
    url: string;
  }[];
  const parts = [];
  for (const { partNumber, url } of urls) {
    const res = await fetch(url, {
      method: 'PUT',
      body: file.subarray((partNumber - 1) * started.partSize, partNumber * started.partSize),
    });
    if (res.status !== 200) throw new UnexpectedAnswer(`PUT part ${partNumber}: ${res.status}`);
    parts.push({ partNumber, etag: res.headers.get('etag')! });
  }
  await client.call(who, 'POST', `/uploads/${id}/complete`, { parts });
}

/** Whether `who` gets playback cookies for a video and the CDN answers its playlist to them. */
async function canWatch(client: LocalClient, who: string, videoId: string): Promise<boolean> {
  const res = await client.send(who, 'POST', `/contents/${videoId}/playback`);
  if (!res.ok) return false;
  const { playlistUrl } = (await res.json()) as { playlistUrl: string };
  const cookie = res.headers
    .getSetCookie()
    .map((c) => c.split(';')[0])
    .join('; ');
  return (await fetch(playlistUrl, { headers: { cookie } })).ok;
}

/** A font drawtext can use, if the machine has one of the usual ones. */
const FONT = [
  '/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf',
  '/usr/share/fonts/dejavu/DejaVuSans-Bold.ttf',
  '/System/Library/Fonts/Supplemental/Arial Bold.ttf',
  'C:/Windows/Fonts/arialbd.ttf',
].find((f) => existsSync(f));

/** drawtext's text is an option value inside a filter graph: its own and the graph's specials escaped. */
const drawtextValue = (s: string) => s.replace(/[\\':,;[\]]/g, (c) => `\\${c}`);

/**
 * A lecture clip from ffmpeg's own test sources: a moving test pattern and a tone, 640x360, with its title
 * written over it when a font is at hand.
 */
async function makeClip(path: string, title: string, seconds: number, hz: number): Promise<Buffer> {
  const text = FONT
    ? [
        '-vf',
        `drawtext=fontfile=${drawtextValue(FONT)}:text=${drawtextValue(title)}:fontsize=34:fontcolor=white` +
          ':box=1:boxcolor=black@0.6:boxborderw=12:x=(w-tw)/2:y=h-th-36',
      ]
    : [];
  await promisify(execFile)(ffmpeg.path, [
    ...['-hide_banner', '-loglevel', 'error', '-y'],
    ...['-f', 'lavfi', '-i', 'testsrc2=size=640x360:rate=15'],
    ...['-f', 'lavfi', '-i', `sine=frequency=${hz}:sample_rate=44100`],
    ...['-t', String(seconds), ...text],
    ...['-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-shortest', path],
  ]);
  return readFile(path);
}

interface Clips {
  /** Empty when the lecture's course is there already. */
  readonly lecture: Buffer;
  readonly recap: Buffer;
}

/** The demo's clips, made side by side in a scratch directory. */
async function makeClips(lecture: boolean): Promise<Clips> {
  const work = await mkdtemp(join(tmpdir(), 'lms-demo-'));
  try {
    const [long, short] = await Promise.all([
      lecture ? makeClip(join(work, 'lecture.mp4'), 'Forklift safety - Lecture 1', 45, 440) : Buffer.alloc(0),
      makeClip(join(work, 'recap.mp4'), 'Recap', 8, 660),
    ]);
    return { lecture: long, recap: short };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** A one-page PDF with a few lines of text: the course's downloadable checklist. */
export function simplePdf(lines: readonly string[]): Buffer {
  const escape = (s: string) => s.replace(/[\\()]/g, (c) => `\\${c}`);
  const stream = ['BT /F1 14 Tf 72 760 Td 18 TL', ...lines.map((l) => `(${escape(l)}) Tj T*`), 'ET'].join(
    '\n',
  );
  const objects = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>',
    `<< /Length ${Buffer.byteLength(stream, 'latin1')} >>\nstream\n${stream}\nendstream`,
    '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>',
  ];
  let pdf = '%PDF-1.4\n';
  const offsets: number[] = [];
  objects.forEach((o, i) => {
    offsets.push(Buffer.byteLength(pdf, 'latin1'));
    pdf += `${i + 1} 0 obj\n${o}\nendobj\n`;
  });
  const xref = Buffer.byteLength(pdf, 'latin1');
  pdf += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`;
  pdf += offsets.map((o) => `${String(o).padStart(10, '0')} 00000 n \n`).join('');
  pdf += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(pdf, 'latin1');
}

export interface SeedDemoDataOptions {
  /** One line per step. @default console.log */
  readonly log?: (line: string) => void;
  /** The demo institution's name. @default 'Demo Academy' */
  readonly institutionName?: string;
  /** How long to wait for the videos to be transcoded. @default 120000 */
  readonly timeoutMs?: number;
}

export interface DemoData {
  /** false: the demo course was there already (a persistent database), and nothing was made. */
  readonly created: boolean;
  readonly institutionId: string;
  readonly companyId: string;
  readonly courseId: string;
  /** The course's lecture videos, the long one first. */
  readonly videoIds: readonly string[];
  readonly materialId: string;
  readonly examId: string;
  readonly provisionId: string;
  /** The catalog's course and its open session. */
  readonly sessionCourseId: string;
  readonly sessionId: string;
  readonly ms: number;
}

interface Course {
  readonly id: string;
  readonly title: string;
  readonly state: string;
  readonly chapters: {
    readonly contents: { id: string; kind: string; title: string; mediaState: string | null }[];
  }[];
}

/**
 * Seeds the demo world through the platform's HTTP API: the institution (the demo manager, the instructor),
 * the company (its manager, both learners), the demo course (a 45-second lecture and a short recap, both
 * transcoded by the local transcoder, a PDF checklist, a final exam), the company's provision of it with
 * both learners enrolled, and a second course with an open session for the catalog.
 */
export async function seedDemoData(
  platform: LocalPlatform,
  options: SeedDemoDataOptions = {},
): Promise<DemoData> {
  const log = options.log ?? ((line: string) => console.log(line));
  const started = Date.now();
  let at = started;
  const step = (what: string) => {
    const now = Date.now();
    log(`demo: ${what} (${now - at} ms)`);
    at = now;
  };
  const client = localClient(platform.url);
  const { call } = client;
  const manager = demo('manager');
  const instructor = demo('instructor');
  const company = demo('company');
  const learners = [demo('learner'), demo('learner2')];
  let created = false;

  // The institution: the manager's, or a new one with the instructor as a member.
  const managerOf = (await call(manager.id, 'GET', '/me/memberships')) as {
    institution: { id: string } | null;
  };
  let institutionId = managerOf.institution?.id;
  // The demo courses, found by their titles; the clips the missing ones need are made meanwhile.
  const published = institutionId
    ? ((await call(manager.id, 'GET', '/courses?state=published&limit=200')) as Course[])
    : [];
  const findCourse = async (title: string) => {
    const found = published.find((c) => c.title === title);
    return found ? ((await call(manager.id, 'GET', `/courses/${found.id}`)) as Course) : undefined;
  };
  let course = await findCourse(DEMO_COURSE_TITLE);
  let sessionCourse = await findCourse(DEMO_SESSION_COURSE_TITLE);
  const clips = course && sessionCourse ? undefined : makeClips(!course);
  // Awaited below; until then a failure must not go unhandled.
  clips?.catch(() => undefined);
  if (!institutionId) {
    institutionId = (
      await call(
        manager.id,
        'POST',
        '/institutions',
        {
          name: options.institutionName ?? INSTITUTION_NAME,
          ownerName: manager.name,
          businessNumber: INSTITUTION_BUSINESS_NUMBER,
          certificationNumber: 'DEMO-1',
          contactEmail: manager.email,
          contactPhone: '02-000-0100',
        },
        201,
      )
    ).id as string;
    created = true;
  }
  await call(manager.id, 'PUT', `/institutions/${institutionId}/members/${instructor.sub}`, {
    role: 'instructor',
  });
  step(`institution ${institutionId} with ${manager.id} and ${instructor.id}`);

  // The company, and both learners as its approved employees.
  const companies = async (who: string) =>
    ((await call(who, 'GET', '/me/memberships')) as { companies: { id: string; state: string }[] }).companies;
  let companyId = (await companies(company.id))[0]?.id;
  if (!companyId) {
    companyId = (
      await call(
        company.id,
        'POST',
        '/companies',
        {
          name: COMPANY_NAME,
          ownerName: company.name,
          businessNumber: COMPANY_BUSINESS_NUMBER,
          email: company.email,
          phone: '031-000-0100',
        },
        201,
      )
    ).id as string;
    created = true;
  }
  for (const learner of learners) {
    const theirs = (await companies(learner.id)).find((c) => c.id === companyId);
    if (theirs?.state === 'approved') continue;
    if (!theirs) await call(learner.id, 'POST', `/companies/${companyId}/join-requests`);
    await call(company.id, 'PUT', `/companies/${companyId}/employees/${learner.sub}/approval`);
    created = true;
  }
  step(`company ${companyId} with ${company.id} and ${learners.map((l) => l.id).join(', ')}`);

  if (!course || !sessionCourse) {
    created = true;
    const made = await makeCourses(platform, {
      client,
      manager: manager.id,
      instructorSub: instructor.sub,
      course: !course,
      sessionCourse: !sessionCourse,
      clips: clips!,
      step,
      timeoutMs: options.timeoutMs ?? 120_000,
    });
    course ??= made.course;
    sessionCourse ??= made.sessionCourse;
  } else {
    step(`courses found: ${course.id}, ${sessionCourse.id}`);
  }
  const contents = course!.chapters.flatMap((c) => c.contents);
  const videoIds = contents.filter((c) => c.kind === 'video').map((c) => c.id);
  const materialId = contents.find((c) => c.kind === 'material')!.id;
  const examId = contents.find((c) => c.kind === 'exam')!.id;

  // The company requests the course for a period around today, the institution accepts, both learners
  // are submitted as attendees.
  const provisions = (await call(company.id, 'GET', '/provisions?limit=200')) as {
    id: string;
    courseId: string;
    companyId: string;
    state: string;
  }[];
  let provision = provisions.find(
    (p) => p.courseId === course!.id && p.companyId === companyId && p.state !== 'rejected',
  );
  if (!provision) {
    const today = Date.now();
    provision = await call(
      company.id,
      'POST',
      '/provisions',
      {
        companyId,
        courseId: course!.id,
        startsOn: new Date(today - 7 * DAY_MS).toISOString().slice(0, 10),
        endsOn: new Date(today + 90 * DAY_MS).toISOString().slice(0, 10),
        attendeeCount: 10,
        depositAmount: 300000,
      },
      201,
    );
    created = true;
  }
  if (provision!.state === 'requested') {
    await call(manager.id, 'POST', `/provisions/${provision!.id}/decision`, { decision: 'accepted' });
    created = true;
  }
  const missing = [];
  for (const learner of learners) {
    const theirs = (await call(learner.id, 'GET', '/me/enrollments')) as { courseId: string }[];
    if (!theirs.some((e) => e.courseId === course!.id)) missing.push(learner.sub);
  }
  if (missing.length > 0) {
    await call(company.id, 'POST', `/provisions/${provision!.id}/attendees`, { userSubs: missing });
    created = true;
  }
  step(`provision ${provision!.id}: ${learners.length} learners enrolled`);

  // An open session of the second course, its registration window open now, so the catalog offers a seat.
  const now = Date.now();
  const sessions = (await call(learners[0]!.id, 'GET', `/sessions?courseId=${sessionCourse!.id}`)) as {
    id: string;
    opensAt: string;
    closesAt: string;
  }[];
  let session = sessions.find((s) => Date.parse(s.opensAt) <= now && now < Date.parse(s.closesAt));
  if (!session) {
    session = await call(
      manager.id,
      'POST',
      '/sessions',
      {
        courseId: sessionCourse!.id,
        capacity: 20,
        startsOn: new Date(now + 14 * DAY_MS).toISOString().slice(0, 10),
        endsOn: new Date(now + 44 * DAY_MS).toISOString().slice(0, 10),
        opensAt: new Date(now - 3_600_000).toISOString(),
        closesAt: new Date(now + 30 * DAY_MS).toISOString(),
        cancelDeadline: new Date(now + 13 * DAY_MS).toISOString(),
      },
      201,
    );
    created = true;
  }
  step(`open session ${session!.id} of “${DEMO_SESSION_COURSE_TITLE}”`);

  // What the steps published (enrollments, memberships) reaches the projections playback decides by.
  await platform.flushEvents();
  // Found in a database kept from an earlier run: the access projection and the video files are this run's
  // (DynamoDB Local and the object store start empty unless pointed elsewhere), so say if they are missing.
  if (!created && !(await canWatch(client, learners[0]!.id, videoIds[0]!)))
    log(
      `demo: warning: the demo course is in the database, but ${learners[0]!.id} cannot watch it in this run: ` +
        'its access and video files were made in an earlier run’s DynamoDB Local and object store, gone now. ' +
        'Start from an empty database to seed it again.',
    );
  const ms = Date.now() - started;
  log(`demo: ${created ? 'seeded' : 'already there, nothing seeded'} in ${ms} ms`);
  return {
    created,
    institutionId,
    companyId,
    courseId: course!.id,
    videoIds,
    materialId,
    examId,
    provisionId: provision!.id,
    sessionCourseId: sessionCourse!.id,
    sessionId: session!.id,
    ms,
  };
}

interface MakeCourses {
  readonly client: LocalClient;
  readonly manager: string;
  readonly instructorSub: string;
  /** Which of the two to make. */
  readonly course: boolean;
  readonly sessionCourse: boolean;
  readonly clips: Promise<Clips>;
  readonly step: (what: string) => void;
  readonly timeoutMs: number;
}

/** The two demo courses: curricula, uploads, transcodes, the exam, then published. */
async function makeCourses(platform: LocalPlatform, m: MakeCourses) {
  const { manager } = m;
  const { call } = m.client;
  const newCourse = async (title: string, introduction: string) => {
    const course = await call(
      manager,
      'POST',
      '/courses',
      { title, introduction, instructorSub: m.instructorSub },
      201,
    );
    return course.id as string;
  };
  const addContent = async (courseId: string, chapterId: string, kind: string, title: string) =>
    (await call(manager, 'POST', `/courses/${courseId}/chapters/${chapterId}/contents`, { kind, title }, 201))
      .id as string;
  const addChapter = async (courseId: string, title: string) =>
    (await call(manager, 'POST', `/courses/${courseId}/chapters`, { title }, 201)).id as string;

  const ids: string[] = [];
  // The upload routes decide by the access projection, which learns of new contents from events.
  const uploads: ((clips: Clips) => Promise<void>)[] = [];
  if (m.course) {
    const courseId = await newCourse(
      DEMO_COURSE_TITLE,
      'A short demo course: watch the lecture, download the checklist, then take the final exam.',
    );
    ids.push(courseId);
    const chapterId = await addChapter(courseId, 'Week 1: Before you drive');
    const lectureId = await addContent(courseId, chapterId, 'video', 'Lecture 1: The pre-use check');
    const recapId = await addContent(courseId, chapterId, 'video', 'Recap in 8 seconds');
    const materialId = await addContent(courseId, chapterId, 'material', 'Pre-use checklist (PDF)');
    await call(
      manager,
      'POST',
      `/courses/${courseId}/exams`,
      {
        chapterId,
        title: 'Final exam',
        stage: 'final',
        weight: 100,
        questions: [
          {
            kind: 'choice',
            prompt: 'When do you do the pre-use check?',
            choices: ['At the start of every shift', 'Once a month', 'Only after a repair'],
            answer: 0,
            points: 30,
          },
          {
            kind: 'choice',
            prompt: 'How do you carry a load on a slope?',
            choices: ['Load facing downhill', 'Load facing uphill', 'Either way'],
            answer: 1,
            points: 30,
          },
          {
            kind: 'choice',
            prompt: 'Who may ride on a forklift besides the driver?',
            choices: ['A trained colleague', 'Nobody', 'A supervisor'],
            answer: 1,
            points: 40,
          },
        ],
      },
      201,
    );
    uploads.push(
      (clips) =>
        uploadFile(
          m.client,
          manager,
          { id: lectureId, fileName: 'lecture-1.mp4', contentType: 'video/mp4' },
          clips.lecture,
        ),
      (clips) =>
        uploadFile(
          m.client,
          manager,
          { id: recapId, fileName: 'recap.mp4', contentType: 'video/mp4' },
          clips.recap,
        ),
      () =>
        uploadFile(
          m.client,
          manager,
          { id: materialId, fileName: 'pre-use-checklist.pdf', contentType: 'application/pdf' },
          simplePdf([
            'Forklift pre-use checklist',
            '',
            '1. Tyres, forks and chains: no cracks or wear',
            '2. Horn, lights and brakes work',
            '3. Hydraulic hoses: no leaks',
            '4. Seat belt fastens',
          ]),
        ),
    );
  }
  if (m.sessionCourse) {
    const courseId = await newCourse(
      DEMO_SESSION_COURSE_TITLE,
      'An open session: register for a seat from the catalog.',
    );
    ids.push(courseId);
    const chapterId = await addChapter(courseId, 'Loading and unloading');
    const videoId = await addContent(courseId, chapterId, 'video', 'Dock safety in 8 seconds');
    uploads.push((clips) =>
      uploadFile(
        m.client,
        manager,
        { id: videoId, fileName: 'dock-safety.mp4', contentType: 'video/mp4' },
        clips.recap,
      ),
    );
  }
  m.step('courses, chapters, contents and the exam created');
  await platform.flushEvents();
  const clips = await m.clips;
  m.step('videos generated with ffmpeg');
  await Promise.all(uploads.map((u) => u(clips)));
  m.step('videos and the checklist uploaded in presigned parts');

  // The transcoder runs on each upload's object event; its video.ready facts reach the core by the bus.
  const deadline = Date.now() + m.timeoutMs;
  const pages = new Map<string, Course>();
  for (;;) {
    await platform.vod.idle();
    await platform.flushEvents();
    for (const id of ids) pages.set(id, (await call(manager, 'GET', `/courses/${id}`)) as Course);
    const videos = [...pages.values()].flatMap((c) =>
      c.chapters.flatMap((ch) => ch.contents.filter((x) => x.kind === 'video')),
    );
    const failed = videos.find((v) => v.mediaState === 'failed');
    if (failed) throw new Error(`The demo video “${failed.title}” failed to transcode (see the log above)`);
    if (videos.every((v) => v.mediaState === 'ready')) break;
    if (Date.now() > deadline) throw new Error('The demo videos were not transcoded in time');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  m.step('videos transcoded to HLS');
  for (const id of ids) await call(manager, 'POST', `/courses/${id}/publish`);
  const published = await Promise.all(
    ids.map(async (id) => (await call(manager, 'GET', `/courses/${id}`)) as Course),
  );
  m.step('courses published');
  return {
    course: published.find((c) => c.title === DEMO_COURSE_TITLE),
    sessionCourse: published.find((c) => c.title === DEMO_SESSION_COURSE_TITLE),
  };
}
