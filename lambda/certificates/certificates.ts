import { randomBytes } from 'node:crypto';
import {
  AdminGetUserCommand,
  type CognitoIdentityProviderClient,
} from '@aws-sdk/client-cognito-identity-provider';
import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { GetCommand, QueryCommand, type DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type * as z from 'zod';
import type { Identity } from '#contracts/access-token';
import {
  CERTIFICATE_ALPHABET,
  CERTIFICATE_INDEXES,
  CERTIFICATES,
  type CertificateVerification,
  type CertificateView,
  type listCertificatesQuery,
} from '#contracts/certificates';
import type { EnrollmentCompleted } from '#contracts/platform-events';
import {
  type CompanyMemberItem,
  companyMemberKey,
  isCompanyManager,
  isManager,
  managesInstitution,
  type MemberItem,
  memberKey,
} from '../access/access';
import { getItems } from '../shared/batch-get';
import { conflict, notAllowed, notFound } from '../shared/domain-error';
import { cursorShape, decodeCursor, encodeCursor } from '../shared/page-cursor';
import { type BusDeps, putOnBus } from '../shared/platform-bus';
import { type RetryDeps, transactWrite } from '../shared/transact';
import type { CertificateDocument } from './render-certificate';

/*
 * Certificates of completion. Each completed enrollment gets one number, once, however often its fact is
 * delivered; its document is rendered and kept in the private bucket before the certificate is announced.
 * The learner and their company's manager download it by a short-lived link; its institution revokes it
 * with a reason; anyone holding the number learns whether it is valid, for whom and what, and nothing more.
 */

export interface CertificateDeps extends BusDeps, RetryDeps {
  readonly ddb: DynamoDBDocumentClient;
  readonly s3: S3Client;
  readonly cognito: CognitoIdentityProviderClient;
  readonly certificatesTable: string;
  readonly accessTable: string;
  readonly bucket: string;
  readonly userPoolId: string;
  /** `<base>/<number>` is the verification page the QR code points to. */
  readonly verifyBaseUrl: string;
  readonly render: (doc: CertificateDocument) => Promise<Uint8Array>;
  /** A presigned GET of the bucket's object, valid `seconds`. */
  readonly presign: (command: GetObjectCommand, seconds: number) => Promise<string>;
  readonly now: () => Date;
}

/** `certificate#<number>` / `meta`. */
export interface CertificateItem {
  readonly number: string;
  readonly enrollmentId: string;
  readonly provisionId: string;
  readonly courseId: string;
  readonly institutionId: string;
  readonly companyId: string | null;
  readonly userSub: string;
  readonly learnerName: string;
  readonly courseTitle: string;
  readonly institutionName: string;
  readonly institutionCertificationNumber: string;
  readonly hours: number;
  readonly periodStart: string;
  readonly periodEnd: string;
  readonly completedOn: string;
  readonly score: number | null;
  readonly issuedAt: string;
  /** Set once the document is kept; a certificate without it is still being issued. */
  readonly documentKey?: string;
  readonly revokedAt?: string;
  readonly revokedBy?: string;
  readonly revocationReason?: string;
}

export const certificateKey = (number: string) => ({ pk: `certificate#${number}`, sk: 'meta' });
const enrollmentKey = (enrollmentId: string) => ({ pk: `enrollment#${enrollmentId}`, sk: 'certificate' });
const learnerPartition = (sub: string) => `learner#${sub}`;
const institutionPartition = (id: string) => `institution#${id}`;

/** Twenty characters of Crockford base32 from 100 random bits. */
export function newCertificateNumber(): string {
  const bytes = randomBytes(20);
  const chars = [...bytes].map((b) => CERTIFICATE_ALPHABET[b % 32]).join('');
  return `LMS-${chars.match(/.{4}/g)!.join('-')}`;
}

/** The learner's name as their profile has it now (the e-mail when they gave none). */
async function learnerName(deps: CertificateDeps, sub: string): Promise<string> {
  const user = await deps.cognito.send(
    new AdminGetUserCommand({ UserPoolId: deps.userPoolId, Username: sub }),
  );
  const attribute = (name: string) => user.UserAttributes?.find((a) => a.Name === name)?.Value;
  return attribute('name') ?? attribute('email') ?? sub;
}

/**
 * Gives a completed enrollment its certificate: the number (made once: a redelivered fact finds it), the
 * document (rendered and put under a key of the number, so a retry writes the same object), and then the
 * `certificate.issued` fact, whose id is the number's, so a consumer that hears it twice can tell.
 */
export async function issueCertificate(
  deps: CertificateDeps,
  fact: EnrollmentCompleted,
  newNumber: () => string = newCertificateNumber,
): Promise<{ number: string; outcome: 'issued' | 'already-issued' }> {
  let certificate = await existingFor(deps, fact.enrollmentId);
  if (!certificate) {
    const number = newNumber();
    const item: CertificateItem = {
      number,
      enrollmentId: fact.enrollmentId,
      provisionId: fact.provisionId,
      courseId: fact.courseId,
      institutionId: fact.institutionId,
      companyId: fact.companyId,
      userSub: fact.userSub,
      learnerName: await learnerName(deps, fact.userSub),
      courseTitle: fact.courseTitle,
      institutionName: fact.institutionName,
      institutionCertificationNumber: fact.institutionCertificationNumber,
      hours: fact.hours,
      periodStart: fact.periodStart,
      periodEnd: fact.periodEnd,
      completedOn: fact.certificateOn,
      score: fact.score,
      issuedAt: deps.now().toISOString(),
    };
    const failed = await transactWrite(
      deps.ddb,
      {
        TransactItems: [
          {
            Put: {
              TableName: deps.certificatesTable,
              Item: { ...enrollmentKey(fact.enrollmentId), number },
              ConditionExpression: 'attribute_not_exists(pk)',
            },
          },
          {
            Put: {
              TableName: deps.certificatesTable,
              Item: {
                ...certificateKey(number),
                ...item,
                gsi1pk: learnerPartition(fact.userSub),
                gsi1sk: `${fact.certificateOn}#${number}`,
                gsi2pk: institutionPartition(fact.institutionId),
                gsi2sk: `${fact.certificateOn}#${number}`,
              },
              ConditionExpression: 'attribute_not_exists(pk)',
            },
          },
        ],
      },
      deps,
    );
    // Failed: another delivery of the same fact claimed the enrollment first; carry on with its number.
    const claimed = failed === undefined;
    certificate = claimed ? item : await existingFor(deps, fact.enrollmentId);
    if (!certificate)
      throw new Error(`Certificate of enrollment ${fact.enrollmentId} was claimed but is missing`);
  }
  if (certificate.documentKey) return { number: certificate.number, outcome: 'already-issued' };

  const documentKey = `${CERTIFICATES.keyPrefix}${certificate.number}.pdf`;
  const pdf = await deps.render(documentOf(deps, certificate));
  await deps.s3.send(
    new PutObjectCommand({
      Bucket: deps.bucket,
      Key: documentKey,
      Body: pdf,
      ContentType: 'application/pdf',
    }),
  );
  await putOnBus(deps, {
    source: CERTIFICATES.source,
    detailType: 'certificate.issued',
    detail: {
      eventId: `certificate-issued-${certificate.number}`,
      occurredAt: deps.now().toISOString(),
      number: certificate.number,
      enrollmentId: certificate.enrollmentId,
      userSub: certificate.userSub,
      institutionId: certificate.institutionId,
      companyId: certificate.companyId,
      courseTitle: certificate.courseTitle,
    },
    time: deps.now(),
  });
  await deps.ddb.send(
    new UpdateCommand({
      TableName: deps.certificatesTable,
      Key: certificateKey(certificate.number),
      UpdateExpression: 'SET documentKey = :key',
      ExpressionAttributeValues: { ':key': documentKey },
    }),
  );
  return { number: certificate.number, outcome: 'issued' };
}

async function existingFor(
  deps: CertificateDeps,
  enrollmentId: string,
): Promise<CertificateItem | undefined> {
  const { Item } = await deps.ddb.send(
    new GetCommand({
      TableName: deps.certificatesTable,
      Key: enrollmentKey(enrollmentId),
      ConsistentRead: true,
    }),
  );
  if (!Item) return undefined;
  return readCertificate(deps, String(Item['number']));
}

async function readCertificate(deps: CertificateDeps, number: string): Promise<CertificateItem | undefined> {
  const { Item } = await deps.ddb.send(
    new GetCommand({ TableName: deps.certificatesTable, Key: certificateKey(number), ConsistentRead: true }),
  );
  return Item as CertificateItem | undefined;
}

export const documentOf = (
  deps: Pick<CertificateDeps, 'verifyBaseUrl'>,
  c: CertificateItem,
): CertificateDocument => ({
  number: c.number,
  learnerName: c.learnerName,
  courseTitle: c.courseTitle,
  institutionName: c.institutionName,
  institutionCertificationNumber: c.institutionCertificationNumber,
  hours: c.hours,
  periodStart: c.periodStart,
  periodEnd: c.periodEnd,
  completedOn: c.completedOn,
  score: c.score,
  verificationUrl: `${deps.verifyBaseUrl}/${c.number}`,
});

/** What the owner and the people responsible for them see of a certificate. */
export function certificateView(c: CertificateItem): CertificateView {
  return {
    number: c.number,
    enrollmentId: c.enrollmentId,
    provisionId: c.provisionId,
    courseId: c.courseId,
    institutionId: c.institutionId,
    companyId: c.companyId,
    userSub: c.userSub,
    learnerName: c.learnerName,
    courseTitle: c.courseTitle,
    institutionName: c.institutionName,
    hours: c.hours,
    periodStart: c.periodStart,
    periodEnd: c.periodEnd,
    completedOn: c.completedOn,
    score: c.score,
    issuedAt: c.issuedAt,
    ready: c.documentKey !== undefined,
    status: c.revokedAt ? ('revoked' as const) : ('valid' as const),
    ...(c.revokedAt ? { revokedAt: c.revokedAt, revocationReason: c.revocationReason } : {}),
  };
}

type Caller = Pick<Identity, 'sub'>;
type Page = z.infer<typeof listCertificatesQuery>;

async function queryPage(
  deps: CertificateDeps,
  index: keyof typeof CERTIFICATE_INDEXES,
  partition: string,
  page: Page,
) {
  const [pkName, skName] = index === 'byLearner' ? ['gsi1pk', 'gsi1sk'] : ['gsi2pk', 'gsi2sk'];
  const startKey = page.cursor
    ? decodeCursor(page.cursor, cursorShape({ [pkName]: partition }, ['pk', 'sk', skName]))
    : undefined;
  const out = await deps.ddb.send(
    new QueryCommand({
      TableName: deps.certificatesTable,
      IndexName: CERTIFICATE_INDEXES[index],
      KeyConditionExpression: '#pk = :pk',
      ExpressionAttributeNames: { '#pk': pkName },
      ExpressionAttributeValues: { ':pk': partition },
      ScanIndexForward: false,
      Limit: page.limit,
      ...(startKey ? { ExclusiveStartKey: startKey } : {}),
    }),
  );
  return {
    certificates: ((out.Items ?? []) as CertificateItem[]).map(certificateView),
    ...encodeCursor(out.LastEvaluatedKey),
  };
}

/** The caller's own certificates, newest completion first. */
export const listMyCertificates = (deps: CertificateDeps, caller: Caller, page: Page) =>
  queryPage(deps, 'byLearner', learnerPartition(caller.sub), page);

/** An institution's certificates, for its managers and instructors. */
export async function listInstitutionCertificates(
  deps: CertificateDeps,
  caller: Caller,
  institutionId: string,
  page: Page,
) {
  if (!(await managesInstitution(deps.ddb, deps.accessTable, caller.sub, institutionId)))
    throw notFound('No such institution');
  return queryPage(deps, 'byInstitution', institutionPartition(institutionId), page);
}

/**
 * Who may hold a certificate's document: its learner, the manager of the company that enrolled them, and
 * the staff of its institution. Anyone else learns nothing (404), as with a number that does not exist.
 */
async function mayHold(deps: CertificateDeps, caller: Caller, c: CertificateItem): Promise<boolean> {
  if (c.userSub === caller.sub) return true;
  const [member, companyMember] = await getItems(deps.ddb, [
    { table: deps.accessTable, key: memberKey(c.institutionId, caller.sub) },
    ...(c.companyId ? [{ table: deps.accessTable, key: companyMemberKey(c.companyId, caller.sub) }] : []),
  ]);
  return (
    isManager(member as MemberItem | undefined) ||
    isCompanyManager(companyMember as CompanyMemberItem | undefined)
  );
}

/** A link to the document, valid CERTIFICATES.downloadSeconds. */
export async function downloadLink(deps: CertificateDeps, caller: Caller, number: string) {
  const c = await readCertificate(deps, number);
  if (!c || !(await mayHold(deps, caller, c))) throw notFound('No such certificate');
  if (!c.documentKey) throw conflict('The certificate’s document is still being made; try again in a moment');
  const url = await deps.presign(
    new GetObjectCommand({
      Bucket: deps.bucket,
      Key: c.documentKey,
      ResponseContentType: 'application/pdf',
      ResponseContentDisposition: `attachment; filename="${c.number}.pdf"`,
    }),
    CERTIFICATES.downloadSeconds,
  );
  const expiresAt = new Date(deps.now().getTime() + CERTIFICATES.downloadSeconds * 1000).toISOString();
  return { url, expiresAt, certificate: certificateView(c) };
}

/** Whether the number names a certificate, valid or revoked; for anyone, so it says nothing more. */
export async function verifyCertificate(
  deps: CertificateDeps,
  number: string,
): Promise<CertificateVerification> {
  const c = await readCertificate(deps, number);
  // One still being issued is not announced yet: for its holder, it does not exist.
  if (!c || !c.documentKey) throw notFound('No such certificate');
  return {
    number: c.number,
    status: c.revokedAt ? 'revoked' : 'valid',
    learnerName: c.learnerName,
    courseTitle: c.courseTitle,
    institutionName: c.institutionName,
    hours: c.hours,
    completedOn: c.completedOn,
    ...(c.revokedAt ? { revokedAt: c.revokedAt, revocationReason: c.revocationReason ?? '' } : {}),
  };
}

/**
 * Its institution's managers revoke a certificate, once, with a reason; the verification page then says
 * revoked and when. Instructors may not: revoking is the institution's decision.
 */
export async function revokeCertificate(
  deps: CertificateDeps,
  caller: Caller,
  number: string,
  reason: string,
) {
  const c = await readCertificate(deps, number);
  if (!c) throw notFound('No such certificate');
  const [item] = await getItems(deps.ddb, [
    { table: deps.accessTable, key: memberKey(c.institutionId, caller.sub) },
  ]);
  const member = item as MemberItem | undefined;
  const role = member?.removed ? undefined : member?.role;
  if (!role) {
    if (await mayHold(deps, caller, c))
      throw notAllowed('Only the institution’s managers revoke its certificates');
    throw notFound('No such certificate');
  }
  if (role !== 'institution-manager')
    throw notAllowed('Only the institution’s managers revoke its certificates');
  const revokedAt = deps.now().toISOString();
  try {
    await deps.ddb.send(
      new UpdateCommand({
        TableName: deps.certificatesTable,
        Key: certificateKey(number),
        UpdateExpression: 'SET revokedAt = :at, revokedBy = :by, revocationReason = :reason',
        ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(revokedAt)',
        ExpressionAttributeValues: { ':at': revokedAt, ':by': caller.sub, ':reason': reason },
      }),
    );
  } catch (e) {
    if ((e as { name?: string }).name !== 'ConditionalCheckFailedException') throw e;
    // Revoked before, perhaps by an attempt whose fact never reached the bus: say it again (same event id,
    // so a consumer that heard it drops it), then refuse.
    const before = await readCertificate(deps, number);
    if (before?.revokedAt) await announceRevocation(deps, before);
    throw conflict('The certificate is already revoked');
  }
  const revoked = { ...c, revokedAt, revokedBy: caller.sub, revocationReason: reason };
  await announceRevocation(deps, revoked);
  return certificateView(revoked);
}

function announceRevocation(deps: CertificateDeps, c: CertificateItem) {
  return putOnBus(deps, {
    source: CERTIFICATES.source,
    detailType: 'certificate.revoked',
    detail: {
      eventId: `certificate-revoked-${c.number}`,
      occurredAt: c.revokedAt,
      number: c.number,
      enrollmentId: c.enrollmentId,
      userSub: c.userSub,
      institutionId: c.institutionId,
      companyId: c.companyId,
      courseTitle: c.courseTitle,
      reason: c.revocationReason ?? '',
    },
    time: new Date(c.revokedAt!),
  });
}
