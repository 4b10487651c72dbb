import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import {
  type CompanyMemberItem,
  companyMemberKey,
  enrollmentFrom,
  isCompanyManager,
  isManager,
  type LearnerItem,
  learnerKey,
  type MemberItem,
  memberKey,
  provisionFacts,
  type ProvisionItem,
} from '../access/access';
import { getItems } from '../shared/batch-get';

/*
 * Who someone is in a course provision, decided from the access projection as the live domain decides it:
 * staff are the managers and instructors of the provision's institution, learners those enrolled through
 * this provision, and the company's manager the one the projection names for the provision's company.
 */

export type ProvisionRole = 'staff' | 'learner' | 'company-manager';

/** What fixes a provision's people, copied onto each post so a post's readers are found without the provision. */
export type ProvisionHome = Pick<ProvisionItem, 'institutionId' | 'companyId' | 'courseId'> & {
  readonly provisionId: string;
};

/**
 * The caller's part in the provision, in one BatchGetItem of the three items that could give them one. Staff
 * who are also enrolled act as staff; a learner who also manages the company acts as a learner.
 */
export async function roleIn(
  ddb: DynamoDBDocumentClient,
  accessTable: string,
  sub: string,
  home: ProvisionHome,
): Promise<ProvisionRole | undefined> {
  const [member, learner, companyMember] = await getItems(ddb, [
    { table: accessTable, key: memberKey(home.institutionId, sub) },
    { table: accessTable, key: learnerKey(home.courseId, sub) },
    { table: accessTable, key: companyMemberKey(home.companyId, sub) },
  ]);
  if (isManager(member as MemberItem | undefined)) return 'staff';
  if (enrollmentFrom(learner as LearnerItem | undefined, home.provisionId)) return 'learner';
  if (isCompanyManager(companyMember as CompanyMemberItem | undefined)) return 'company-manager';
  return undefined;
}

/** The provision and the caller's part in it; undefined when it does not exist or they have none. */
export async function provisionAccess(
  ddb: DynamoDBDocumentClient,
  accessTable: string,
  sub: string,
  provisionId: string,
): Promise<{ provision: ProvisionItem; home: ProvisionHome; role: ProvisionRole } | undefined> {
  const provision = await provisionFacts(ddb, accessTable, provisionId);
  if (!provision) return undefined;
  const home = {
    provisionId,
    institutionId: provision.institutionId,
    companyId: provision.companyId,
    courseId: provision.courseId,
  };
  const role = await roleIn(ddb, accessTable, sub, home);
  return role ? { provision, home, role } : undefined;
}
