import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Identity } from '#contracts/access-token';
import { HttpError } from '#contracts/problem';
import {
  enrollmentFrom,
  isManager,
  type LearnerItem,
  learnerKey,
  managesInstitution,
  type MemberItem,
  memberKey,
  provisionFacts,
  type ProvisionItem,
} from '../access/access';
import { getItems, type ItemKey } from '../shared/batch-get';
import { SharedReads } from '../shared/shared-reads';
import { getLecture, type Lecture, lectureKey } from './lecture-records';

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

export type LectureAccess<Also = never> = (
  | { readonly lecture: Lecture; readonly as: 'staff' }
  | { readonly lecture: Lecture; readonly as: 'learner'; readonly enrollmentId: string }
) & { readonly also?: Also };

const noSuchLecture = () => new HttpError(404, 'No such lecture');

/** Where a lecture belongs, which never changes once it is scheduled. */
export type LectureHome = Pick<Lecture, 'institutionId' | 'courseId' | 'provisionId'>;

const homes = new SharedReads<LectureHome | undefined>(Number.POSITIVE_INFINITY, (h) => h !== undefined);

/** The lecture's home, read once per execution environment; undefined for a lecture that does not exist. */
export function lectureHome(deps: LiveAccessDeps, lectureId: string): Promise<LectureHome | undefined> {
  return homes.get(`${deps.liveTable}/${lectureId}`, new Date(), async () => {
    const lecture = await getLecture(deps.ddb, deps.liveTable, lectureId);
    return (
      lecture && {
        institutionId: lecture.institutionId,
        courseId: lecture.courseId,
        provisionId: lecture.provisionId,
      }
    );
  });
}

/**
 * The lecture and the caller's part in it. `need: 'staff'` refuses learners with 403; `need: 'learner'`
 * refuses staff with 403 (seats, presence and answers are a learner's); `need: 'any'` admits both.
 *
 * Once the lecture's home is known, the lecture as it is now, the caller's membership and enrollment, and
 * `also` (another item of the live table the route needs, such as the caller's seat) come in one
 * BatchGetItem: a whole class joining at once pays one read each, not four.
 */
export async function accessLecture<Also = never>(
  deps: LiveAccessDeps,
  identity: Pick<Identity, 'sub'>,
  lectureId: string,
  need: 'staff' | 'learner' | 'any',
  also?: ItemKey,
): Promise<LectureAccess<Also>> {
  const home = await lectureHome(deps, lectureId);
  if (!home) throw noSuchLecture();
  const [lectureItem, member, learner, alsoItem] = await getItems(deps.ddb, [
    { table: deps.liveTable, key: lectureKey(lectureId), consistent: true },
    { table: deps.accessTable, key: memberKey(home.institutionId, identity.sub) },
    { table: deps.accessTable, key: learnerKey(home.courseId, identity.sub) },
    ...(also ? [{ table: deps.liveTable, key: also, consistent: true }] : []),
  ]);
  // Deleted since its home was read.
  if (!lectureItem) throw noSuchLecture();
  const lecture = lectureItem as unknown as Lecture;
  const staff = isManager(member as MemberItem | undefined);
  const enrollment = enrollmentFrom(learner as LearnerItem | undefined, lecture.provisionId);
  if (!staff && !enrollment) throw noSuchLecture();
  if (need === 'staff' && !staff) throw new HttpError(403, 'Only the institution’s staff may do this');
  if (need === 'learner' && !enrollment) throw new HttpError(403, 'Only enrolled learners may do this');
  const found = alsoItem === undefined ? {} : { also: alsoItem as Also };
  // Staff who are also enrolled act as staff, except where only a learner's part will do.
  if (staff && need !== 'learner') return { lecture, as: 'staff', ...found };
  return { lecture, as: 'learner', enrollmentId: enrollment!.enrollmentId, ...found };
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
