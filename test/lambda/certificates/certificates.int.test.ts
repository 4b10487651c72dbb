import { randomUUID } from 'node:crypto';
import {
  AdminGetUserCommand,
  CognitoIdentityProviderClient,
} from '@aws-sdk/client-cognito-identity-provider';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { type GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import type { EnrollmentCompleted } from '#contracts/platform-events';
import { certificateNumber } from '#contracts/certificates';
import {
  type CertificateDeps,
  downloadLink,
  issueCertificate,
  listInstitutionCertificates,
  listMyCertificates,
  newCertificateNumber,
  revokeCertificate,
  verifyCertificate,
} from '#lambda/certificates/certificates';
import { loadCertificateFont, renderCertificate } from '#lambda/certificates/render-certificate';
import { Refused } from '#lambda/shared/domain-error';
import { createBoardWorld, type BoardWorld } from '../board/board-fixture';
import { ddb, dropWorld, NOW } from '../live/live-fixture';

/*
 * The certificates domain on DynamoDB Local, with the real renderer; Cognito, S3 and EventBridge are mocked
 * at the AWS boundary, each call's input asserted.
 */

const cognito = new CognitoIdentityProviderClient({ region: 'ap-northeast-2' });
const s3 = new S3Client({ region: 'ap-northeast-2' });
const eventBridge = new EventBridgeClient({ region: 'ap-northeast-2' });
const cognitoMock = mockClient(cognito);
const s3Mock = mockClient(s3);
const busMock = mockClient(eventBridge);
const font = loadCertificateFont();

let world: BoardWorld;
let deps: CertificateDeps;
const presigned: GetObjectCommand[] = [];

beforeAll(async () => {
  world = await createBoardWorld(`certificates-${process.pid}`);
  deps = {
    ddb,
    s3,
    cognito,
    eventBridge,
    busName: 'lms-test',
    certificatesTable: world.tables.certificates!,
    accessTable: world.tables.access!,
    bucket: 'certificates-bucket',
    userPoolId: 'ap-northeast-2_POOL',
    verifyBaseUrl: 'https://api.academy.example/verify',
    render: (doc) => renderCertificate(doc, font),
    presign: async (command, seconds) => {
      presigned.push(command);
      return `https://certificates-bucket.example/${command.input.Key}?expires=${seconds}`;
    },
    now: () => NOW,
    sleep: async () => undefined,
    random: () => 0.5,
  };
});
afterAll(() => dropWorld(world));

beforeEach(() => {
  cognitoMock.reset();
  s3Mock.reset();
  busMock.reset();
  cognitoMock.on(AdminGetUserCommand).resolves({
    Username: 'u',
    UserAttributes: [
      { Name: 'name', Value: '김민지' },
      { Name: 'email', Value: 'minji@corp.example.com' },
    ],
  });
  s3Mock.on(PutObjectCommand).resolves({});
  busMock.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e' }] });
});

const completion = (userSub: string, over: Partial<EnrollmentCompleted> = {}): EnrollmentCompleted => ({
  eventId: randomUUID(),
  occurredAt: NOW.toISOString(),
  enrollmentId: randomUUID(),
  provisionId: world.provisionId,
  courseId: world.courseId,
  institutionId: world.institutionId,
  companyId: world.companyId,
  userSub,
  completedAt: NOW.toISOString(),
  certificateOn: '2026-12-01',
  score: 88,
  courseTitle: '산업안전보건 교육',
  institutionName: '한빛 직업전문학교',
  institutionCertificationNumber: 'KR-2026-0042',
  periodStart: '2026-11-01',
  periodEnd: '2026-11-30',
  hours: 12.5,
  ...over,
});

const refusal = (p: Promise<unknown>) =>
  p.then(
    () => 'accepted',
    (e: unknown) => (e instanceof Refused ? e.kind : (e as Error).message),
  );

describe('issuing', () => {
  it('numbers a completion once, keeps its document, then says certificate.issued', async () => {
    const fact = completion(world.people.learner);
    const first = await issueCertificate(deps, fact);
    expect(first.outcome).toBe('issued');
    expect(certificateNumber.parse(first.number)).toBe(first.number);
    expect(cognitoMock).toHaveReceivedCommandWith(AdminGetUserCommand, {
      UserPoolId: 'ap-northeast-2_POOL',
      Username: world.people.learner,
    });
    expect(s3Mock).toHaveReceivedCommandTimes(PutObjectCommand, 1);
    const put = s3Mock.commandCalls(PutObjectCommand)[0]!.args[0].input;
    expect(put).toMatchObject({
      Bucket: 'certificates-bucket',
      Key: `certificates/${first.number}.pdf`,
      ContentType: 'application/pdf',
    });
    expect(
      Buffer.from(put.Body as Uint8Array)
        .subarray(0, 5)
        .toString(),
    ).toBe('%PDF-');
    expect(busMock).toHaveReceivedCommandWith(PutEventsCommand, {
      Entries: [
        {
          EventBusName: 'lms-test',
          Source: 'lms.certificates',
          DetailType: 'certificate.issued',
          Detail: JSON.stringify({
            eventId: `certificate-issued-${first.number}`,
            occurredAt: NOW.toISOString(),
            number: first.number,
            enrollmentId: fact.enrollmentId,
            userSub: world.people.learner,
            institutionId: world.institutionId,
            companyId: world.companyId,
            courseTitle: '산업안전보건 교육',
          }),
          Time: NOW,
        },
      ],
    });
    // The same fact again (a redelivery): the same number, nothing rendered, written or said again.
    s3Mock.resetHistory();
    busMock.resetHistory();
    expect(await issueCertificate(deps, { ...fact, eventId: randomUUID() })).toEqual({
      number: first.number,
      outcome: 'already-issued',
    });
    expect(s3Mock).toHaveReceivedCommandTimes(PutObjectCommand, 0);
    expect(busMock).toHaveReceivedCommandTimes(PutEventsCommand, 0);
  });

  it('gives twenty concurrent deliveries of one completion one number', async () => {
    const fact = completion(`concurrent-${randomUUID()}`);
    const results = await Promise.all(Array.from({ length: 20 }, () => issueCertificate(deps, fact)));
    expect(new Set(results.map((r) => r.number)).size).toBe(1);
  });

  it('finishes a certificate whose document a failed attempt left unwritten, under the same number', async () => {
    const fact = completion(world.people.foreignLearner);
    s3Mock.on(PutObjectCommand).rejectsOnce(new Error('SlowDown'));
    await expect(issueCertificate(deps, fact)).rejects.toThrow('SlowDown');
    const { certificates } = await listMyCertificates(
      deps,
      { sub: world.people.foreignLearner },
      { limit: 20 },
    );
    expect(certificates).toEqual([expect.objectContaining({ ready: false })]);
    // Not announced, not verifiable, not downloadable while unfinished.
    expect(await refusal(verifyCertificate(deps, certificates[0].number))).toBe('not-found');
    const retried = await issueCertificate(deps, fact);
    expect(retried).toEqual({ number: certificates[0].number, outcome: 'issued' });
  });

  it('uses the e-mail for a learner who gave no name', async () => {
    cognitoMock.on(AdminGetUserCommand).resolves({
      Username: 'u',
      UserAttributes: [{ Name: 'email', Value: 'nameless@corp.example.com' }],
    });
    const sub = `nameless-${randomUUID()}`;
    await issueCertificate(deps, completion(sub));
    const { certificates } = await listMyCertificates(deps, { sub }, { limit: 20 });
    expect(certificates[0].learnerName).toBe('nameless@corp.example.com');
  });

  it('makes numbers of 100 random bits in the unambiguous alphabet', () => {
    const numbers = Array.from({ length: 200 }, newCertificateNumber);
    expect(new Set(numbers).size).toBe(200);
    for (const n of numbers) expect(n).toMatch(/^LMS(-[0-9A-HJKMNP-TV-Z]{4}){5}$/);
  });
});

describe('reading, verifying and revoking', () => {
  let number: string;
  const learner = () => ({ sub: world.people.learner });
  beforeAll(async () => {
    const sub = world.people.learner;
    // Two more, so the learner's list has pages.
    number = (await issueCertificate(deps, completion(sub, { certificateOn: '2026-12-03' }))).number;
    await issueCertificate(deps, completion(sub, { certificateOn: '2026-12-02' }));
  });

  it('lists the learner’s own, newest first, a page at a time', async () => {
    const first = await listMyCertificates(deps, learner(), { limit: 2 });
    expect(first.certificates.map((c) => c.completedOn)).toEqual(['2026-12-03', '2026-12-02']);
    expect(first.certificates[0]).toMatchObject({
      number,
      learnerName: '김민지',
      status: 'valid',
      ready: true,
    });
    const rest = await listMyCertificates(deps, learner(), { limit: 2, cursor: first.cursor });
    expect(rest.certificates.map((c) => c.completedOn)).toEqual(['2026-12-01']);
    expect(rest.cursor).toBeUndefined();
    // Another listing's cursor is refused.
    const other = await listMyCertificates(deps, { sub: world.people.stranger }, { limit: 1 });
    expect(other.certificates).toEqual([]);
    expect(
      await refusal(
        listMyCertificates(deps, { sub: world.people.stranger }, { limit: 2, cursor: first.cursor }),
      ),
    ).toBe('invalid');
  });

  it('lists an institution’s for its staff only', async () => {
    const staff = await listInstitutionCertificates(
      deps,
      { sub: world.people.instructor },
      world.institutionId,
      {
        limit: 100,
      },
    );
    expect(staff.certificates.length).toBeGreaterThanOrEqual(3);
    for (const sub of [world.people.otherStaff, world.people.learner, world.companyManager])
      expect(
        await refusal(listInstitutionCertificates(deps, { sub }, world.institutionId, { limit: 10 })),
      ).toBe('not-found');
  });

  it('gives download links to the learner, their company’s manager and the institution, and no one else', async () => {
    for (const sub of [
      world.people.learner,
      world.companyManager,
      world.people.manager,
      world.people.instructor,
    ]) {
      const link = await downloadLink(deps, { sub }, number);
      expect(link).toMatchObject({
        url: `https://certificates-bucket.example/certificates/${number}.pdf?expires=300`,
        expiresAt: new Date(NOW.getTime() + 300_000).toISOString(),
      });
    }
    expect(presigned.at(-1)!.input).toEqual({
      Bucket: 'certificates-bucket',
      Key: `certificates/${number}.pdf`,
      ResponseContentType: 'application/pdf',
      ResponseContentDisposition: `attachment; filename="${number}.pdf"`,
    });
    for (const sub of [
      world.people.stranger,
      world.people.foreignLearner,
      world.foreignCompanyManager,
      world.people.otherStaff,
    ])
      expect(await refusal(downloadLink(deps, { sub }, number))).toBe('not-found');
  });

  it('verifies for anyone, saying nothing of an unknown number', async () => {
    expect(await verifyCertificate(deps, number)).toEqual({
      number,
      status: 'valid',
      learnerName: '김민지',
      courseTitle: '산업안전보건 교육',
      institutionName: '한빛 직업전문학교',
      hours: 12.5,
      completedOn: '2026-12-03',
    });
    expect(await refusal(verifyCertificate(deps, newCertificateNumber()))).toBe('not-found');
  });

  it('is revoked by the institution’s managers alone, once, and then says so', async () => {
    for (const sub of [world.people.learner, world.companyManager, world.people.instructor])
      expect(await refusal(revokeCertificate(deps, { sub }, number, 'x'))).toBe('not-allowed');
    for (const sub of [world.people.stranger, world.people.otherStaff])
      expect(await refusal(revokeCertificate(deps, { sub }, number, 'x'))).toBe('not-found');
    expect(busMock).toHaveReceivedCommandTimes(PutEventsCommand, 0);

    const revoked = await revokeCertificate(deps, { sub: world.people.manager }, number, 'Exam fraud');
    expect(revoked).toMatchObject({ status: 'revoked', revocationReason: 'Exam fraud' });
    expect(await verifyCertificate(deps, number)).toMatchObject({
      status: 'revoked',
      revokedAt: NOW.toISOString(),
      revocationReason: 'Exam fraud',
    });
    const said = busMock.commandCalls(PutEventsCommand).map((c) => c.args[0].input.Entries![0]!);
    expect(said).toEqual([
      expect.objectContaining({ DetailType: 'certificate.revoked', Source: 'lms.certificates' }),
    ]);
    expect(JSON.parse(said[0]!.Detail!)).toMatchObject({
      eventId: `certificate-revoked-${number}`,
      reason: 'Exam fraud',
    });

    // Again: refused, and the fact said again under the same id, in case the first never reached the bus.
    expect(await refusal(revokeCertificate(deps, { sub: world.people.manager }, number, 'Again'))).toBe(
      'conflict',
    );
    const again = busMock
      .commandCalls(PutEventsCommand)
      .map((c) => JSON.parse(c.args[0].input.Entries![0]!.Detail!));
    expect(again.map((d) => [d.eventId, d.reason])).toEqual([
      [`certificate-revoked-${number}`, 'Exam fraud'],
      [`certificate-revoked-${number}`, 'Exam fraud'],
    ]);
    // Still the holder's: the download keeps working, the document says what it said.
    expect((await downloadLink(deps, { sub: world.people.learner }, number)).certificate.status).toBe(
      'revoked',
    );
  });
});
