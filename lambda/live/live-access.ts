import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Identity } from '#contracts/access-token';
import { HttpError } from '#contracts/problem';
import { enrollmentIn, managesInstitution, provisionFacts, type ProvisionItem } from '../access/access';
import { getLecture, type Lecture } from './lecture-records';

/*
 * Who may do what with a lecture, decided from the access projection (no core database): staff are the
 * managers and instructors of the provision's institution; learners are those enrolled in that provision.
 * Everyone else gets the same 404 as for a lecture that does not exist, so lecture ids reveal nothing to
 * other companies and institutions; a learner asking for a staff action gets 403.
 */

export interface LiveAccessDeps {
  readonly ddb: DynamoDBDocumentClient;
  readonly accessTable: string;
  readonly liveTable: string;
}

export type LectureAccess =
  | { readonly lecture: Lecture; readonly as: 'staff' }
  | { readonly lecture: Lecture; readonly as: 'learner'; readonly enrollmentId: string };

const noSuchLecture = () => new HttpError(404, 'No such lecture');

/**
 * The lecture and the caller's part in it. `need: 'staff'` refuses learners with 403; `need: 'learner'`
 * refuses staff with 403 (seats, presence and answers are a learner's); `need: 'any'` admits both.
 */
export async function accessLecture(
  deps: LiveAccessDeps,
  identity: Pick<Identity, 'sub'>,
  lectureId: string,
  need: 'staff' | 'learner' | 'any',
): Promise<LectureAccess> {
  const lecture = await getLecture(deps.ddb, deps.liveTable, lectureId);
  if (!lecture) throw noSuchLecture();
  const [staff, enrollment] = await Promise.all([
    managesInstitution(deps.ddb, deps.accessTable, identity.sub, lecture.institutionId),
    enrollmentIn(deps.ddb, deps.accessTable, identity.sub, lecture.courseId, lecture.provisionId),
  ]);
  if (!staff && !enrollment) throw noSuchLecture();
  if (need === 'staff' && !staff) throw new HttpError(403, 'Only the institution’s staff may do this');
  if (need === 'learner' && !enrollment) throw new HttpError(403, 'Only enrolled learners may do this');
  // Staff who are also enrolled act as staff, except where only a learner's part will do.
  if (staff && need !== 'learner') return { lecture, as: 'staff' };
  return { lecture, as: 'learner', enrollmentId: enrollment!.enrollmentId };
}

/**
 * The provision a lecture is scheduled for, when the caller is staff of its institution. Lectures run only
 * for accepted provisions; one that is unknown or another institution's is a 404, named by its field.
 */
export async function provisionForStaff(
  deps: LiveAccessDeps,
  identity: Pick<Identity, 'sub'>,
  provisionId: string,
): Promise<ProvisionItem> {
  const provision = await provisionFacts(deps.ddb, deps.accessTable, provisionId);
  const staff =
    provision &&
    (await managesInstitution(deps.ddb, deps.accessTable, identity.sub, provision.institutionId));
  if (!provision || !staff) {
    throw new HttpError(404, 'No such provision', [
      { field: 'body.provisionId', message: 'no provision of your institution has this id' },
    ]);
  }
  if (provision.state !== 'accepted') {
    throw new HttpError(409, `The provision is ${provision.state}, not accepted`, [
      { field: 'body.provisionId', message: `the provision is ${provision.state}` },
    ]);
  }
  return provision;
}
