import * as z from 'zod';

/*
 * The video pipeline routes' request schemas (uploads, playback, downloads). Like every contract, it loads
 * no AWS SDK: the route table imports it, and every Lambda loads the route table. The upload domain
 * (lambda/vod/upload-sessions.ts) parses with the same schemas again.
 */

/** S3's limit on the parts of one multipart upload. */
const MAX_PARTS = 10_000;
const partNumber = z.number().int().min(1).max(MAX_PARTS);

/** S3 upload ids are opaque; this only keeps absurd path values out of the table's keys. */
export const uploadIdParam = z.string().min(1).max(1024);
export const uploadIdParams = z.strictObject({ uploadId: uploadIdParam });

/** The playback and download routes' `{contentId}`. */
export const contentIdParams = z.strictObject({ contentId: z.uuid() });

export const startUploadBody = z.strictObject({
  contentId: z.uuid(),
  fileName: z.string().min(1).max(255),
  size: z.number().int().positive(),
  contentType: z.string().min(1).max(255),
});

export const completeUploadBody = z.strictObject({
  parts: z
    .array(z.strictObject({ partNumber, etag: z.string().min(1).max(128) }))
    .min(1)
    .max(MAX_PARTS),
});

/** `POST /uploads`: the session, and how the browser cuts the file (every part `partSize` bytes but the last). */
export const startedUploadView = z.object({
  uploadId: z.string(),
  key: z.string(),
  partSize: z.number().int().positive(),
  partCount: z.number().int().positive(),
});

/** `GET /uploads/{uploadId}/part-urls`: one presigned PUT URL per part number asked for. */
export const partUrlsView = z.array(z.object({ partNumber, url: z.string() }));

/** `GET /uploads/{uploadId}/parts`: the parts the bucket holds, so a resumed upload sends only the others. */
export const uploadedPartsView = z.array(
  z.object({ partNumber, etag: z.string(), size: z.number().int().nonnegative() }),
);

/** `POST /uploads/{uploadId}/complete`: the assembled object. */
export const completedUploadView = z.object({ key: z.string(), size: z.number().int().nonnegative() });

/**
 * Query values arrive as strings; the domain checks the numbers against partUrlsQuery and the upload's
 * own part count, naming `query.from` and `query.to` as here.
 */
export const partUrlsQueryString = z.strictObject({
  from: z.coerce.number().int(),
  to: z.coerce.number().int(),
});

/**
 * `POST /contents/{contentId}/playback`: the HLS master playlist (every rendition lives beside it, under the
 * signed cookies' path) and when the cookies stop opening it, so the player asks again before then.
 */
export const playbackView = z.object({
  playlistUrl: z.string(),
  expiresAt: z.iso.datetime(),
});

/** `GET /contents/{contentId}/download`: a presigned URL for the material's file, valid until `expiresAt`. */
export const materialDownloadView = z.object({
  url: z.string(),
  fileName: z.string(),
  size: z.number().int().nonnegative(),
  expiresAt: z.iso.datetime(),
});
