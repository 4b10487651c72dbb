import * as z from 'zod';
import { MAX_VIDEO_SECOND } from './board';

/*
 * Notes on videos: a learner's private notes at a second of a video content, with text and optionally a
 * drawing over the frame (vector strokes). Request schemas of the notes routes and the notes table's index.
 */

/** The notes table's secondary index (TABLES.notes). */
export const NOTES_INDEXES = {
  /**
   * An owner's notes of a course, by content and time: `gsi1pk` = `owner#<sub>#course#<courseId>`,
   * `gsi1sk` = `<contentId>#<second, 6 digits>#<noteId>`. Live notes only; a tombstone leaves it.
   */
  byCourse: 'byCourse',
} as const;

/** A drawing's largest JSON form, in bytes: far below DynamoDB's 400 KB item, with room for the text. */
export const MAX_DRAWING_BYTES = 64 * 1024;

/** A point in the frame, each coordinate a share of its width or height (resolution-independent). */
const point = z.tuple([z.number().min(0).max(1), z.number().min(0).max(1)]);

export const drawing = z
  .strictObject({
    strokes: z
      .array(
        z.strictObject({
          color: z.string().regex(/^#[0-9a-fA-F]{6}$/, 'a #rrggbb colour'),
          /** In thousandths of the frame's width. */
          width: z.number().min(1).max(100),
          points: z.array(point).min(1).max(2_000),
        }),
      )
      .min(1)
      .max(200),
  })
  .refine((d) => new TextEncoder().encode(JSON.stringify(d)).length <= MAX_DRAWING_BYTES, {
    message: `at most ${MAX_DRAWING_BYTES} bytes as JSON`,
  });
export type Drawing = z.infer<typeof drawing>;

const second = z.number().int().min(0).max(MAX_VIDEO_SECOND);
const noteText = z.string().trim().max(5_000);

export const createNoteBody = z
  .strictObject({ contentId: z.uuid(), second, text: noteText, drawing: drawing.optional() })
  .refine((b) => b.text !== '' || b.drawing !== undefined, {
    message: 'A note holds text, a drawing or both',
    path: ['text'],
  });

export const updateNoteBody = z
  .strictObject({
    second: second.optional(),
    text: noteText.optional(),
    /** `null` takes the drawing away. */
    drawing: drawing.nullable().optional(),
    /** The version the edit was made on: refused with 409 if the note changed since. @default the current */
    version: z.number().int().min(1).max(1_000_000).optional(),
  })
  .refine((b) => b.second !== undefined || b.text !== undefined || b.drawing !== undefined, {
    message: 'Name at least one field to change',
  });

export const noteIdParams = z.strictObject({ noteId: z.uuid() });

/** Pages of at most 50: a note's drawing may take 64 KB, and a Lambda answers at most 6 MB. */
const page = {
  limit: z.coerce.number().int().min(1).max(50).optional(),
  cursor: z.string().min(1).max(1024).optional(),
};

export const listNotesQuery = z.strictObject({ contentId: z.uuid(), ...page });

export const listNoteVersionsQuery = z.strictObject(page);

export const exportNotesQuery = z.strictObject({ courseId: z.uuid() });

/*
 * What the notes routes answer (lambda/notes/notes.ts shapes them): the OpenAPI document and the web app's
 * typed client come from these, and the local runner holds every answer to them.
 */
const noteBase = {
  noteId: z.uuid(),
  contentId: z.uuid(),
  courseId: z.uuid(),
  second: z.number().int(),
  version: z.number().int(),
  createdAt: z.string(),
  updatedAt: z.string(),
};

/** A note, or the tombstone of a deleted one (its text and drawing gone). */
export const noteView = z.discriminatedUnion('deleted', [
  z.object({ ...noteBase, text: z.string(), drawing: drawing.optional(), deleted: z.literal(false) }),
  z.object({ ...noteBase, deleted: z.literal(true), deletedAt: z.string() }),
]);

export const notePage = z.object({ notes: z.array(noteView), cursor: z.string().optional() });

export const noteVersionPage = z.object({
  versions: z.array(
    z.object({
      noteId: z.uuid(),
      version: z.number().int(),
      second: z.number().int(),
      text: z.string(),
      drawing: drawing.optional(),
      savedAt: z.string(),
      replacedAt: z.string(),
    }),
  ),
  cursor: z.string().optional(),
});
