import { GetCommand, type DynamoDBDocumentClient, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type * as z from 'zod';
import type { Identity } from '#contracts/access-token';
import {
  type createNoteBody,
  type Drawing,
  type listNotesQuery,
  type listNoteVersionsQuery,
  NOTES_INDEXES,
  type updateNoteBody,
} from '#contracts/notes';
import { type ContentItem, contentKey, watchableContent } from '../access/access';
import { getItems } from '../shared/batch-get';
import { CreateGuard, createdThenRemoved } from '../shared/create-guard';
import { conflict, invalid, notFound, unfit } from '../shared/domain-error';
import { cursorShape, decodeCursor, encodeCursor } from '../shared/page-cursor';
import { timeOrderedUuid } from '../shared/time-ordered-id';
import { type RetryDeps, transactWrite } from '../shared/transact';

/*
 * A learner's private notes on videos (TABLES.notes). Only the author reads a note: every read checks its
 * owner, and anyone else gets the 404 of a note that does not exist. An edit or the delete keeps the version
 * it replaces (`version#<n>`) in the same transaction that changes the note, conditional on the version it
 * read, so two racing edits never lose one another's history. A delete leaves a tombstone.
 */

export interface NotesDeps extends RetryDeps {
  readonly ddb: DynamoDBDocumentClient;
  readonly accessTable: string;
  readonly notesTable: string;
  readonly now: () => Date;
}

type Caller = Pick<Identity, 'sub'>;

/** What a version holds: where in the video, and what. */
interface NoteContent {
  readonly second: number;
  readonly text: string;
  readonly drawing?: Drawing;
}

export interface NoteItem extends NoteContent {
  readonly noteId: string;
  readonly ownerSub: string;
  readonly contentId: string;
  readonly courseId: string;
  /** 1 when made, one more with each edit and with the delete. */
  readonly version: number;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly deletedAt?: string;
}

export interface VersionItem extends NoteContent {
  readonly noteId: string;
  readonly version: number;
  /** When this version was written, and when the next replaced it. */
  readonly savedAt: string;
  readonly replacedAt: string;
}

const DEFAULT_PAGE = 20;

export const noteKey = (noteId: string) => ({ pk: `note#${noteId}`, sk: 'meta' });
const versionKey = (noteId: string, version: number) => ({
  pk: `note#${noteId}`,
  sk: `version#${String(version).padStart(7, '0')}`,
});
const coursePartition = (sub: string, courseId: string) => `owner#${sub}#course#${courseId}`;
const contentPrefix = (contentId: string) => `${contentId}#`;
const courseIndexKeys = (
  note: Pick<NoteItem, 'ownerSub' | 'courseId' | 'contentId' | 'second' | 'noteId'>,
) => ({
  gsi1pk: coursePartition(note.ownerSub, note.courseId),
  gsi1sk: `${contentPrefix(note.contentId)}${String(note.second).padStart(6, '0')}#${note.noteId}`,
});

export type NoteView =
  | (Omit<NoteItem, 'ownerSub' | 'deletedAt'> & { readonly deleted: false })
  | (Pick<
      NoteItem,
      'noteId' | 'contentId' | 'courseId' | 'second' | 'version' | 'createdAt' | 'updatedAt'
    > & {
      readonly deleted: true;
      readonly deletedAt: string;
    });

export function noteView(note: NoteItem): NoteView {
  const { noteId, contentId, courseId, second, version, createdAt, updatedAt } = note;
  const base = { noteId, contentId, courseId, second, version, createdAt, updatedAt };
  if (note.deletedAt) return { ...base, deleted: true, deletedAt: note.deletedAt };
  return { ...base, text: note.text, ...(note.drawing ? { drawing: note.drawing } : {}), deleted: false };
}

const noSuchNote = () =>
  notFound('No such note', { field: 'path.noteId', message: 'no note of yours has this id' });

/** The caller's note, tombstone or not; anyone else's is a 404. */
async function ownNote(deps: NotesDeps, caller: Caller, noteId: string): Promise<NoteItem> {
  const { Item } = await deps.ddb.send(
    new GetCommand({ TableName: deps.notesTable, Key: noteKey(noteId), ConsistentRead: true }),
  );
  const note = Item as NoteItem | undefined;
  if (!note || note.ownerSub !== caller.sub) throw noSuchNote();
  return note;
}

/**
 * Keeps a note on a video the caller may watch (enrolled in its course). With an idempotency key, a retry
 * answers the note its first attempt kept (as it is now, edits included) and writes nothing (create-guard.ts).
 */
export async function createNote(
  deps: NotesDeps,
  caller: Caller,
  body: z.infer<typeof createNoteBody>,
  idempotencyKey?: string,
): Promise<NoteView> {
  const content = await watchableContent(deps.ddb, deps.accessTable, caller.sub, body.contentId);
  const field = { field: 'body.contentId', message: 'no video you watch has this id' };
  if (!content) throw notFound('No such video', field);
  if (content.kind !== 'video') throw unfit(`The content is a ${content.kind}, not a video`, field);
  const now = deps.now();
  const at = now.toISOString();
  const note: NoteItem = {
    noteId: timeOrderedUuid(now),
    ownerSub: caller.sub,
    contentId: body.contentId,
    courseId: content.courseId,
    second: body.second,
    text: body.text,
    ...(body.drawing ? { drawing: body.drawing } : {}),
    version: 1,
    createdAt: at,
    updatedAt: at,
  };
  const write = {
    TableName: deps.notesTable,
    Item: { ...noteKey(note.noteId), ...courseIndexKeys(note), ...note },
    ConditionExpression: 'attribute_not_exists(pk)',
  };
  if (idempotencyKey === undefined) {
    await deps.ddb.send(new PutCommand(write));
    return noteView(note);
  }
  const guard = new CreateGuard(
    deps.notesTable,
    { kind: 'note', sub: caller.sub, key: idempotencyKey },
    body,
  );
  const failed = await transactWrite(
    deps.ddb,
    { TransactItems: [guard.put(note.noteId, at), { Put: write }] },
    deps,
  );
  if (!failed) return noteView(note);
  const first = await ownNote(deps, caller, await guard.firstCreated(deps.ddb));
  if (first.deletedAt) throw createdThenRemoved('note');
  return noteView(first);
}

export async function readNote(deps: NotesDeps, caller: Caller, noteId: string): Promise<NoteView> {
  return noteView(await ownNote(deps, caller, noteId));
}

/** The caller's notes on one video, in time order. A deleted note is not listed (its tombstone is kept). */
export async function listNotes(deps: NotesDeps, caller: Caller, query: z.infer<typeof listNotesQuery>) {
  const [item] = await getItems(deps.ddb, [{ table: deps.accessTable, key: contentKey(query.contentId) }]);
  const content = item as ContentItem | undefined;
  if (!content) {
    throw notFound('No such video', { field: 'query.contentId', message: 'no video has this id' });
  }
  const partition = coursePartition(caller.sub, content.courseId);
  const prefix = contentPrefix(query.contentId);
  const startKey = query.cursor
    ? decodeCursor(
        query.cursor,
        cursorShape({ gsi1pk: partition }, ['pk', 'sk', 'gsi1sk'], { gsi1sk: prefix }),
      )
    : undefined;
  const page = await deps.ddb.send(
    new QueryCommand({
      TableName: deps.notesTable,
      IndexName: NOTES_INDEXES.byCourse,
      KeyConditionExpression: 'gsi1pk = :pk AND begins_with(gsi1sk, :content)',
      ExpressionAttributeValues: { ':pk': partition, ':content': prefix },
      Limit: query.limit ?? DEFAULT_PAGE,
      ...(startKey ? { ExclusiveStartKey: startKey } : {}),
    }),
  );
  return { notes: ((page.Items ?? []) as NoteItem[]).map(noteView), ...encodeCursor(page.LastEvaluatedKey) };
}

/** Keeps the version an edit or the delete replaces, as it was; written once (by the winner of a race). */
function keepVersion(tableName: string, note: NoteItem, replacedAt: string) {
  const kept: VersionItem = {
    noteId: note.noteId,
    version: note.version,
    second: note.second,
    text: note.text,
    ...(note.drawing ? { drawing: note.drawing } : {}),
    savedAt: note.updatedAt,
    replacedAt,
  };
  return {
    Put: {
      TableName: tableName,
      Item: { ...versionKey(note.noteId, note.version), ...kept },
      ConditionExpression: 'attribute_not_exists(pk)',
    },
  };
}

const changedMeanwhile = () =>
  conflict('The note changed meanwhile; read it and edit again', {
    field: 'body.version',
    message: 'not the note’s current version',
  });

/**
 * Edits a note, keeping the version it replaces. With `version`, the edit applies only to that version (a
 * client editing what it showed); without, to the current one.
 */
export async function updateNote(
  deps: NotesDeps,
  caller: Caller,
  noteId: string,
  body: z.infer<typeof updateNoteBody>,
): Promise<NoteView> {
  const note = await ownNote(deps, caller, noteId);
  if (note.deletedAt)
    throw conflict('The note is deleted', { field: 'path.noteId', message: 'a deleted note' });
  if (body.version !== undefined && body.version !== note.version) throw changedMeanwhile();
  const drawing = body.drawing === null ? undefined : (body.drawing ?? note.drawing);
  const next: NoteItem = {
    ...note,
    second: body.second ?? note.second,
    text: body.text ?? note.text,
    version: note.version + 1,
    updatedAt: deps.now().toISOString(),
  };
  if (drawing) (next as { drawing?: Drawing }).drawing = drawing;
  else delete (next as { drawing?: Drawing }).drawing;
  if (next.text === '' && !next.drawing) {
    throw invalid('A note holds text, a drawing or both', {
      field: body.text !== undefined ? 'body.text' : 'body.drawing',
      message: 'the note would hold neither text nor a drawing',
    });
  }
  const failed = await transactWrite(
    deps.ddb,
    {
      TransactItems: [
        keepVersion(deps.notesTable, note, next.updatedAt),
        {
          Put: {
            TableName: deps.notesTable,
            Item: { ...noteKey(noteId), ...courseIndexKeys(next), ...next },
            ConditionExpression: 'version = :read AND attribute_not_exists(deletedAt)',
            ExpressionAttributeValues: { ':read': note.version },
          },
        },
      ],
    },
    deps,
  );
  if (failed) throw changedMeanwhile();
  return noteView(next);
}

/**
 * Deletes a note: a tombstone without its text, drawing or index keys, so it leaves the listings; its
 * versions, the last one included, stay readable to its author. Deleting a tombstone again changes nothing.
 */
export async function deleteNote(deps: NotesDeps, caller: Caller, noteId: string): Promise<void> {
  const note = await ownNote(deps, caller, noteId);
  if (note.deletedAt) return;
  const at = deps.now().toISOString();
  const tombstone = {
    ...noteKey(noteId),
    noteId,
    ownerSub: note.ownerSub,
    contentId: note.contentId,
    courseId: note.courseId,
    second: note.second,
    version: note.version + 1,
    createdAt: note.createdAt,
    updatedAt: at,
    deletedAt: at,
  };
  const failed = await transactWrite(
    deps.ddb,
    {
      TransactItems: [
        keepVersion(deps.notesTable, note, at),
        {
          Put: {
            TableName: deps.notesTable,
            Item: tombstone,
            ConditionExpression: 'version = :read AND attribute_not_exists(deletedAt)',
            ExpressionAttributeValues: { ':read': note.version },
          },
        },
      ],
    },
    deps,
  );
  if (failed) {
    // Deleted by a concurrent delete: the same outcome. Edited meanwhile: delete what it is now.
    const now = await ownNote(deps, caller, noteId);
    if (now.deletedAt) return;
    throw changedMeanwhile();
  }
}

/** The versions a note's edits and delete replaced, oldest first. */
export async function listVersions(
  deps: NotesDeps,
  caller: Caller,
  noteId: string,
  query: z.infer<typeof listNoteVersionsQuery>,
) {
  await ownNote(deps, caller, noteId);
  const partition = noteKey(noteId).pk;
  const startKey = query.cursor
    ? decodeCursor(query.cursor, cursorShape({ pk: partition }, ['sk'], { sk: 'version#' }))
    : undefined;
  const page = await deps.ddb.send(
    new QueryCommand({
      TableName: deps.notesTable,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :version)',
      ExpressionAttributeValues: { ':pk': partition, ':version': 'version#' },
      ConsistentRead: true,
      Limit: query.limit ?? DEFAULT_PAGE,
      ...(startKey ? { ExclusiveStartKey: startKey } : {}),
    }),
  );
  const versions = ((page.Items ?? []) as (VersionItem & { pk?: string; sk?: string })[]).map(
    ({ pk: _pk, sk: _sk, ...v }) => v,
  );
  return { versions, ...encodeCursor(page.LastEvaluatedKey) };
}

/** `m:ss`, or `h:mm:ss` past an hour. */
export function timestamp(second: number): string {
  const h = Math.floor(second / 3600);
  const m = Math.floor((second % 3600) / 60);
  const s = String(second % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${s}` : `${m}:${s}`;
}

/** Lambda answers at most 6 MB; an export stops short of it and says so. */
const MAX_EXPORT_BYTES = 5 * 1024 * 1024;

/** The caller's notes of a course as Markdown: a section per video, a line per note at its timestamp. */
export async function exportNotes(deps: NotesDeps, caller: Caller, courseId: string): Promise<string> {
  const lines = [`# Notes on course ${courseId}`, ''];
  let bytes = 0;
  let contentId: string | undefined;
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await deps.ddb.send(
      new QueryCommand({
        TableName: deps.notesTable,
        IndexName: NOTES_INDEXES.byCourse,
        KeyConditionExpression: 'gsi1pk = :pk',
        ExpressionAttributeValues: { ':pk': coursePartition(caller.sub, courseId) },
        ...(startKey ? { ExclusiveStartKey: startKey } : {}),
      }),
    );
    for (const note of (page.Items ?? []) as NoteItem[]) {
      const entry: string[] = [];
      if (note.contentId !== contentId) {
        entry.push(...(contentId === undefined ? [] : ['']), `## Video ${note.contentId}`, '');
        contentId = note.contentId;
      }
      const [first = '', ...rest] = note.text.split(/\r?\n/);
      entry.push(
        `- **[${timestamp(note.second)}]** ${first}`.trimEnd(),
        ...rest.map((l) => `  ${l}`.trimEnd()),
      );
      if (note.drawing) {
        const n = note.drawing.strokes.length;
        entry.push(`  _(drawing: ${n} stroke${n === 1 ? '' : 's'})_`);
      }
      const size = Buffer.byteLength(entry.join('\n'), 'utf8');
      if (bytes + size > MAX_EXPORT_BYTES) {
        lines.push('', '_The export stops here: the rest does not fit in one answer._');
        return `${lines.join('\n')}\n`;
      }
      bytes += size;
      lines.push(...entry);
    }
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  if (contentId === undefined) lines.push('_No notes yet._');
  return `${lines.join('\n')}\n`;
}
