import { createVerify, generateKeyPairSync, randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { applyAccessFact } from '#lambda/access/access';
import { HttpError } from '#contracts/problem';
import { startPlayback, type PlaybackDeps } from '#lambda/vod/playback';
import { createTables, LOCAL_AWS } from '#local/dynamodb-local';
import { fromCloudFrontBase64 } from '#local/playback-cdn';

/*
 * The playback domain against an access table of this file's own in DynamoDB Local: who gets cookies, and
 * exactly what they say. The local end-to-end test (test/local/uploads.int.test.ts) plays through them.
 */

const ddb = DynamoDBDocumentClient.from(
  new DynamoDBClient({ endpoint: process.env.DYNAMODB_ENDPOINT!, ...LOCAL_AWS }),
);
const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const NOW = new Date('2026-11-23T09:00:00.400Z');
const institutionId = randomUUID();
const courseId = randomUUID();
const video = randomUUID();
const archived = randomUUID();
const material = randomUUID();
const people = {
  manager: `manager-${randomUUID()}`,
  learner: `learner-${randomUUID()}`,
  stranger: `x-${randomUUID()}`,
};
let deps: PlaybackDeps;

beforeAll(async () => {
  const { access } = await createTables(process.env.DYNAMODB_ENDPOINT!, `vod-playback-${randomUUID()}-`);
  deps = {
    ddb,
    accessTable: access,
    playbackOrigin: 'https://video.academy.example.com',
    cookieDomain: 'academy.example.com',
    signingKey: async () => ({
      keyPairId: 'K2EXAMPLE',
      privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    }),
    seconds: 600,
    now: () => NOW,
  };
  const fact = () => ({ eventId: randomUUID(), occurredAt: NOW.toISOString() });
  const content = (contentId: string, kind: 'video' | 'material', state: 'active' | 'archived') =>
    applyAccessFact(ddb, access, {
      type: 'content.set',
      detail: { ...fact(), contentId, courseId, institutionId, kind, state },
    });
  await content(video, 'video', 'active');
  await content(archived, 'video', 'archived');
  await content(material, 'material', 'active');
  await applyAccessFact(ddb, access, {
    type: 'institution.member-set',
    detail: { ...fact(), institutionId, userSub: people.manager, role: 'institution-manager' },
  });
  await applyAccessFact(ddb, access, {
    type: 'enrollment.created',
    detail: {
      ...fact(),
      courseId,
      userSub: people.learner,
      enrollmentId: randomUUID(),
      provisionId: randomUUID(),
    },
  });
});
afterAll(() => ddb.destroy());

async function refusal(sub: string, contentId: unknown) {
  const error = await startPlayback(deps, { sub }, { contentId }).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(HttpError);
  return error as HttpError;
}

describe('startPlayback', () => {
  it('signs one policy for the video’s path until ten minutes from now, in cookies for the parent domain', async () => {
    const { playback, cookies } = await startPlayback(deps, { sub: people.learner }, { contentId: video });
    expect(playback).toEqual({
      playlistUrl: `https://video.academy.example.com/hls/${video}/index.m3u8`,
      // Whole seconds: the policy's time has no fraction.
      expiresAt: '2026-11-23T09:10:00.000Z',
    });
    const byName = Object.fromEntries(
      cookies.map((c) => {
        const [pair, ...attributes] = c.split('; ');
        const [name, value] = pair!.split('=') as [string, string];
        expect(attributes).toEqual([
          'Max-Age=600',
          'Domain=academy.example.com',
          `Path=/hls/${video}/`,
          'HttpOnly',
          'Secure',
          'SameSite=Lax',
        ]);
        return [name, decodeURIComponent(value)];
      }),
    );
    expect(Object.keys(byName).sort()).toEqual([
      'CloudFront-Hash-Algorithm',
      'CloudFront-Key-Pair-Id',
      'CloudFront-Policy',
      'CloudFront-Signature',
    ]);
    const policy = fromCloudFrontBase64(byName['CloudFront-Policy']!).toString('utf8');
    expect(JSON.parse(policy)).toEqual({
      Statement: [
        {
          Resource: `https://video.academy.example.com/hls/${video}/*`,
          Condition: { DateLessThan: { 'AWS:EpochTime': Date.parse('2026-11-23T09:10:00Z') / 1000 } },
        },
      ],
    });
    expect(byName['CloudFront-Key-Pair-Id']).toBe('K2EXAMPLE');
    expect(byName['CloudFront-Hash-Algorithm']).toBe('SHA256');
    const signature = fromCloudFrontBase64(byName['CloudFront-Signature']!);
    expect(createVerify('RSA-SHA256').update(policy).verify(publicKey, signature)).toBe(true);
  });

  it('lets the institution play an archived video, and nobody else', async () => {
    const { playback } = await startPlayback(deps, { sub: people.manager }, { contentId: archived });
    expect(playback.playlistUrl).toBe(`https://video.academy.example.com/hls/${archived}/index.m3u8`);
    expect((await refusal(people.learner, archived)).status).toBe(403);
  });

  it('answers 403 alike for someone outside the course and for a content that does not exist', async () => {
    const outside = await refusal(people.stranger, video);
    const nowhere = await refusal(people.stranger, randomUUID());
    expect([outside.status, nowhere.status]).toEqual([403, 403]);
    expect(outside.detail).toBe(nowhere.detail);
  });

  it('refuses a material (409) and a malformed id (400 path.contentId)', async () => {
    expect((await refusal(people.learner, material)).status).toBe(409);
    const bad = await refusal(people.learner, '../other');
    expect([bad.status, bad.errors?.map((e) => e.field)]).toEqual([400, ['path.contentId']]);
  });
});
