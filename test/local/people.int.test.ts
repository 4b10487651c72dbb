import { businessNumberFrom } from '../service/service-fixture';
import { useLocalPlatform } from './local-platform-fixture';

/*
 * People end to end, as `npm start` runs them, over HTTP and through the local sign-in page (cognito-local):
 * an institution manager invites an instructor, who signs in with the e-mailed temporary password and starts
 * an upload with no step outside the platform; once removed, their refresh is refused and their next sign-in
 * gives no instructor role. A company manager invites an employee by e-mail, who signs in, finds the notice,
 * asks a question pinned to 1:30 of a video, gets an answer and keeps a note with a drawing.
 */

const local = useLocalPlatform('people');
const { call } = local;

const cookieOf = (res: Response, name: string) =>
  res.headers
    .getSetCookie()
    .map((c) => c.split(';')[0]!)
    .find((c) => c.startsWith(`${name}=`) && c.length > name.length + 1);

const hidden = (html: string, name: string) =>
  new RegExp(`name="${name}" value="([^"]*)"`).exec(html)?.[1] ?? '';

interface Session {
  readonly access: string;
  readonly refresh: string;
}

/** A browser signing in on the local sign-in page with e-mail and password, a new one on the first time. */
async function signIn(email: string, password: string, newPassword?: string): Promise<Session> {
  const url = local.platform.url;
  const login = await fetch(`${url}/auth/login?returnTo=/me`, { redirect: 'manual' });
  expect(login.status).toBe(302);
  const authorize = new URL(login.headers.get('location')!);
  const form = (fields: Record<string, string>) =>
    fetch(`${url}/local/oauth2/authorize`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ ...Object.fromEntries(authorize.searchParams), ...fields }),
      redirect: 'manual',
    });
  let answer = await form({ username: email, password });
  if (newPassword) {
    const page = await answer.text();
    expect(page).toContain('Change your password');
    answer = await form({
      username: hidden(page, 'username'),
      session: hidden(page, 'session'),
      new_password: newPassword,
    });
  }
  expect(answer.status).toBe(302);
  const callback = new URL(answer.headers.get('location')!);
  const done = await fetch(`${url}${callback.pathname}${callback.search}`, {
    headers: { cookie: cookieOf(login, 'lms_oauth_state')! },
    redirect: 'manual',
  });
  expect(done.status).toBe(302);
  return { access: cookieOf(done, 'lms_access')!, refresh: cookieOf(done, 'lms_refresh')! };
}

/** A request with a signed-in browser's access cookie. */
async function as(session: Session, method: string, path: string, body?: unknown) {
  const res = await fetch(`${local.platform.url}${path}`, {
    method,
    headers: { cookie: session.access, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- answers are read field by field
  return { status: res.status, body: text ? (JSON.parse(text) as any) : undefined };
}

/** The temporary password of the latest invitation e-mail to `email`, read from the local outbox. */
async function temporaryPassword(email: string): Promise<string> {
  const res = await fetch(`${local.platform.url}/local/mail`);
  const { mail } = (await res.json()) as {
    mail: { to: string; code: string; text: string; source: string; recipients: string[] }[];
  };
  const latest = mail.filter((m) => m.to === email).at(-1);
  expect(latest?.text).toContain(`Your username is ${email} and temporary password is`);
  // The mailbox SES shares: Cognito's mail in it, told apart by its source.
  expect(latest).toMatchObject({ source: 'cognito', recipients: [email] });
  return latest!.code;
}

let institutionId: string;
let courseId: string;
let videoId: string;

beforeAll(async () => {
  institutionId = (
    await call(
      'manager',
      'POST',
      '/institutions',
      {
        name: 'People Academy',
        ownerName: 'Kim',
        businessNumber: businessNumberFrom('401810031'),
        certificationNumber: 'C-31',
        contactEmail: 'office@people.local',
        contactPhone: '02-000-0031',
      },
      201,
    )
  ).id;
  courseId = (await call('manager', 'POST', '/courses', { title: 'Knots' }, 201)).id;
  const chapter = await call('manager', 'POST', `/courses/${courseId}/chapters`, { title: 'Week 1' }, 201);
  videoId = (
    await call(
      'manager',
      'POST',
      `/courses/${courseId}/chapters/${chapter.id}/contents`,
      { kind: 'video', title: 'The bowline' },
      201,
    )
  ).id;
  await call('manager', 'POST', `/courses/${courseId}/publish`);
  // The manager's membership reaches the users domain (who may invite) and the access projection.
  await local.platform.flushEvents();
});

const upload = (session: Session) =>
  as(session, 'POST', '/uploads', {
    contentId: videoId,
    fileName: 'lecture.mp4',
    size: 1024,
    contentType: 'video/mp4',
  });

it('makes an invited instructor able to upload, and a removed one unable after one refresh', async () => {
  const email = 'new.teacher@people.local';
  const invited = await call('manager', 'POST', '/invitations/instructors', {
    institutionId,
    invitees: [{ email, name: 'New Teacher' }],
  });
  expect(invited).toMatchObject({ invited: 1, existing: 0, invalid: 0, failed: 0 });
  // users.invited -> the core affiliates them -> institution.member-set -> the users domain gives the group.
  await local.platform.flushEvents();
  await local.platform.flushEvents();

  const password = await temporaryPassword(email);
  // The temporary password alone does not sign in, and the pool's policy holds for the new one.
  const teacher = await signIn(email, password, 'Knots&Ropes2026');
  const me = await as(teacher, 'GET', '/me');
  expect(me.body).toMatchObject({ email, roles: expect.arrayContaining(['instructor', 'learner']) });
  expect((await upload(teacher)).status).toBe(201);

  await call('manager', 'DELETE', `/institutions/${institutionId}/members/${me.body.sub}`, undefined, 204);
  await local.platform.flushEvents();
  expect(await local.platform.cognito.groupsOf(email)).toEqual(['learner']);
  // Signed out everywhere: the browser's refresh is refused, so its session ends with the access token.
  const refreshed = await fetch(`${local.platform.url}/auth/refresh`, {
    method: 'POST',
    headers: { cookie: teacher.refresh },
  });
  expect(refreshed.status).toBe(401);
  // Signing in again gives a token without the role, and the upload is refused.
  const again = await signIn(email, 'Knots&Ropes2026');
  expect((await as(again, 'GET', '/me')).body.roles).toEqual(['learner']);
  expect((await upload(again)).status).toBe(403);
});

it('refuses a new password outside the pool’s policy and a wrong password, signing nobody in', async () => {
  const email = 'weak.password@people.local';
  await call('manager', 'POST', '/invitations/instructors', {
    institutionId,
    invitees: [{ email, name: 'Weak Password' }],
  });
  const url = local.platform.url;
  const login = await fetch(`${url}/auth/login`, { redirect: 'manual' });
  const query = Object.fromEntries(new URL(login.headers.get('location')!).searchParams);
  const post = (fields: Record<string, string>) =>
    fetch(`${url}/local/oauth2/authorize`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ ...query, ...fields }),
      redirect: 'manual',
    });
  const wrong = await post({ username: email, password: 'not-the-password' });
  expect(wrong.status).toBe(200);
  expect(await wrong.text()).toContain('Incorrect username or password.');
  const challenge = await (await post({ username: email, password: await temporaryPassword(email) })).text();
  const weak = await post({
    username: hidden(challenge, 'username'),
    session: hidden(challenge, 'session'),
    new_password: 'short',
  });
  expect(weak.status).toBe(200);
  expect(await weak.text()).toContain('Password not long enough');
  const forged = await post({
    username: hidden(challenge, 'username'),
    session: 'forged',
    new_password: 'Str0ng&Long!pw',
  });
  expect(await forged.text()).toContain('Invalid session');
  // A temporary password lasts the pool's three days, as in Cognito.
  const late = 'late.invitee@people.local';
  await call('manager', 'POST', '/invitations/instructors', {
    institutionId,
    invitees: [{ email: late, name: 'Late Invitee' }],
  });
  const temporary = await temporaryPassword(late);
  const realNow = Date.now.bind(Date);
  const clock = jest.spyOn(Date, 'now').mockImplementation(() => realNow() + 3 * 86_400_000 + 60_000);
  try {
    const expired = await post({ username: late, password: temporary });
    expect(await expired.text()).toContain('Temporary password has expired');
  } finally {
    clock.mockRestore();
  }
  expect(await (await post({ username: late, password: temporary })).text()).toContain(
    'Change your password',
  );
});

it('lets an invited employee sign in, read the notice, ask at 1:30, get an answer and keep a note', async () => {
  const company = await call(
    'company',
    'POST',
    '/companies',
    {
      name: 'People Ropes',
      ownerName: 'Park',
      businessNumber: businessNumberFrom('401810032'),
      email: 'hr@people-ropes.local',
      phone: '031-000-0032',
    },
    201,
  );
  await local.platform.flushEvents();
  const email = 'new.hire@people-ropes.local';
  const invited = await call('company', 'POST', '/invitations/employees', {
    companyId: company.id,
    csv: `email,name\n${email},New Hire`,
  });
  expect(invited).toMatchObject({ invited: 1, invalid: 0 });
  await local.platform.flushEvents();
  await local.platform.flushEvents();

  const hire = await signIn(email, await temporaryPassword(email), 'Bowline&Hitch2026');
  const me = (await as(hire, 'GET', '/me')).body;
  expect((await as(hire, 'GET', '/me/memberships')).body).toMatchObject({
    companies: [expect.objectContaining({ id: company.id, role: 'employee', state: 'approved' })],
  });

  const provision = await call(
    'company',
    'POST',
    '/provisions',
    {
      companyId: company.id,
      courseId,
      startsOn: '2026-12-01',
      endsOn: '2027-12-31',
      attendeeCount: 5,
      depositAmount: 500000,
    },
    201,
  );
  await call('manager', 'POST', `/provisions/${provision.id}/decision`, { decision: 'accepted' });
  await call('company', 'POST', `/provisions/${provision.id}/attendees`, { userSubs: [me.sub] });
  await local.platform.flushEvents();

  const notice = await call(
    'manager',
    'POST',
    '/board-posts',
    { provisionId: provision.id, board: 'notice', title: 'Welcome', body: 'Bring a rope.' },
    201,
  );
  const board = await as(hire, 'GET', `/board-posts?provisionId=${provision.id}&board=notice`);
  expect(board.body.posts.map((p: { postId: string }) => p.postId)).toEqual([notice.postId]);

  const question = await as(hire, 'POST', '/board-posts', {
    provisionId: provision.id,
    board: 'qna',
    title: 'Which end goes round?',
    body: 'At 1:30 I lose track.',
    videoAt: { contentId: videoId, second: 90 },
  });
  expect(question.status).toBe(201);
  await call(
    'manager',
    'POST',
    `/board-posts/${question.body.postId}/comments`,
    { body: 'The rabbit goes round the tree.' },
    201,
  );
  expect((await as(hire, 'GET', `/board-posts/${question.body.postId}`)).body).toMatchObject({
    answered: true,
    videoAt: { contentId: videoId, second: 90 },
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
  const note = await as(hire, 'POST', '/notes', {
    contentId: videoId,
    second: 90,
    text: 'Rabbit, tree',
    drawing,
  });
  expect(note.status).toBe(201);
  expect((await as(hire, 'GET', `/notes?contentId=${videoId}`)).body.notes).toEqual([
    expect.objectContaining({ second: 90, text: 'Rabbit, tree', drawing }),
  ]);
});
