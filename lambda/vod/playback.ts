import { GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { getSignedCookies } from '@aws-sdk/cloudfront-signer';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import type * as z from 'zod';
import { watchableContent, type ContentItem } from '../access/access';
import { VOD } from '#contracts/resources';
import type { Identity } from '#contracts/access-token';
import { sessionCookie } from '#contracts/cookies';
import { HttpError, parseInput } from '#contracts/problem';
import { contentIdParams, type materialDownloadView, type playbackView } from '#contracts/vod-requests';

/*
 * Playback and downloads for whoever may watch a content (access.ts decides, from the projection): a
 * video's renditions through CloudFront with signed cookies scoped to that video's path, a material's file
 * with a presigned URL. Both are short-lived credentials, renewed by asking again while the page is open.
 */

export interface SigningKey {
  /** The CloudFront public key's id in the distribution's key group. */
  readonly keyPairId: string;
  /** PKCS#8 PEM. */
  readonly privateKey: string;
}

/** What deciding and timing any playback or download takes. */
interface WatchDeps {
  readonly ddb: DynamoDBDocumentClient;
  readonly accessTable: string;
  /** Lifetime of cookies and download URLs. */
  readonly seconds: number;
  readonly now: () => Date;
}

export interface PlaybackDeps extends WatchDeps {
  /** `https://<host>` the distribution serves; locally the runner's stand-in. */
  readonly playbackOrigin: string;
  /** The signing key, cached by the caller: it is read for every playback. */
  readonly signingKey: () => Promise<SigningKey>;
  /** The parent domain the API and the distribution share; host-only cookies when unset. */
  readonly cookieDomain?: string | undefined;
}

export interface DownloadDeps extends WatchDeps {
  readonly s3: S3Client;
  readonly uploadBucket: string;
}

export type Viewer = Pick<Identity, 'sub'>;

/** The answers' shapes are the routes' declared responses (contracts/vod-requests.ts). */
export type Playback = z.infer<typeof playbackView>;
export type Download = z.infer<typeof materialDownloadView>;

/**
 * One answer for a content that does not exist and one the caller may not watch, so content ids reveal
 * nothing to those outside the course.
 */
async function watchable(deps: WatchDeps, viewer: Viewer, contentId: string, kind: ContentItem['kind']) {
  const content = await watchableContent(deps.ddb, deps.accessTable, viewer.sub, contentId);
  if (!content)
    throw new HttpError(403, 'Only learners enrolled in the course and its institution may see this');
  if (content.kind !== kind) throw new HttpError(409, `This content is a ${content.kind}, not a ${kind}`);
  return content;
}

const expiry = (deps: WatchDeps) => {
  // Whole seconds: the policy's epoch time, and the cookie's Max-Age, are in seconds.
  const epoch = Math.floor(deps.now().getTime() / 1000) + deps.seconds;
  return { epoch, iso: new Date(epoch * 1000).toISOString() };
};

/**
 * Signed cookies for one video's renditions: a custom policy for `<origin>/hls/<contentId>/*`, so the same
 * cookies open the master playlist, each rendition's playlist and segments, and nothing of another video.
 * Each cookie is also limited to that path, so a learner's browser holds one set per video watched.
 */
export async function startPlayback(
  deps: PlaybackDeps,
  viewer: Viewer,
  params: unknown,
): Promise<{ playback: Playback; cookies: string[] }> {
  const { contentId } = parseInput(contentIdParams, 'path', params);
  await watchable(deps, viewer, contentId, 'video');
  const path = `/${VOD.outputPrefix}${contentId}/`;
  const { epoch, iso } = expiry(deps);
  const policy = JSON.stringify({
    Statement: [
      {
        Resource: `${deps.playbackOrigin}${path}*`,
        Condition: { DateLessThan: { 'AWS:EpochTime': epoch } },
      },
    ],
  });
  const { keyPairId, privateKey } = await deps.signingKey();
  const signed = getSignedCookies({ policy, keyPairId, privateKey, algorithm: 'SHA256' });
  const cookies = Object.entries(signed)
    .filter((entry): entry is [string, string] => typeof entry[1] === 'string')
    .map(([name, value]) =>
      sessionCookie(name, value, { domain: deps.cookieDomain, path, maxAgeSeconds: deps.seconds }),
    );
  return {
    playback: { playlistUrl: `${deps.playbackOrigin}${path}${VOD.masterPlaylist}`, expiresAt: iso },
    cookies,
  };
}

/**
 * A presigned URL for a material's file: the newest object under the content's key prefix, since an
 * institution replaces a file by uploading another and the upload's name becomes part of its key.
 */
export async function materialDownload(
  deps: DownloadDeps,
  viewer: Viewer,
  params: unknown,
): Promise<Download> {
  const { contentId } = parseInput(contentIdParams, 'path', params);
  const content = await watchable(deps, viewer, contentId, 'material');
  const prefix = `${VOD.uploadPrefixes.material}${content.institutionId}/${contentId}/`;
  const objects = [];
  let token: string | undefined;
  do {
    const page = await deps.s3.send(
      new ListObjectsV2Command({ Bucket: deps.uploadBucket, Prefix: prefix, ContinuationToken: token }),
    );
    objects.push(...(page.Contents ?? []));
    token = page.NextContinuationToken;
  } while (token);
  const newest = objects
    .filter((o) => o.Key && o.LastModified)
    .sort((a, b) => b.LastModified!.getTime() - a.LastModified!.getTime() || b.Key!.localeCompare(a.Key!))[0];
  if (!newest) throw new HttpError(404, 'No file has been uploaded for this material yet');
  const fileName = newest.Key!.slice(prefix.length);
  const { iso } = expiry(deps);
  const url = await getSignedUrl(
    deps.s3,
    new GetObjectCommand({
      Bucket: deps.uploadBucket,
      Key: newest.Key,
      // The browser saves the file under its name instead of opening it in the tab.
      ResponseContentDisposition: `attachment; filename="${fileName}"`,
    }),
    { expiresIn: deps.seconds },
  );
  return { url, fileName, size: newest.Size ?? 0, expiresAt: iso };
}
