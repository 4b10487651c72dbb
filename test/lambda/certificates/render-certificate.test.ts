import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createCanvas } from '@napi-rs/canvas';
import { buildSync } from 'esbuild';
import jsQR from 'jsqr';
import { REPO_ROOT } from '#lib/paths';
import { CERTIFICATES } from '#contracts/certificates';
import {
  type CertificateDocument,
  loadCertificateFont,
  renderCertificate,
} from '#lambda/certificates/render-certificate';
import { esmImporter } from '#local/import-esm';

// pdf.js ships ES modules only (see local/import-esm.ts).
const importEsm = esmImporter();
type PdfJs = typeof import('pdfjs-dist/legacy/build/pdf.mjs');
let pdfjs: PdfJs;

const font = loadCertificateFont();
const certificate: CertificateDocument = {
  number: 'LMS-7K3Q-9XPA-2M4T-H8WD',
  learnerName: '김민지',
  courseTitle: '산업안전보건 관리자 실무 과정',
  institutionName: '한빛직업능력개발원',
  institutionCertificationNumber: '제2026-서울-0142호',
  hours: 12.5,
  periodStart: '2026-01-05',
  periodEnd: '2026-02-05',
  completedOn: '2026-02-04',
  score: 87.5,
  verificationUrl: 'https://app.example.com/verify/LMS-7K3Q-9XPA-2M4T-H8WD',
};

beforeAll(async () => {
  pdfjs = await importEsm<PdfJs>('pdfjs-dist/legacy/build/pdf.mjs');
});

async function openPdf(bytes: Uint8Array) {
  // pdf.js takes ownership of the array it is given.
  const doc = await pdfjs.getDocument({ data: bytes.slice(), verbosity: 0 }).promise;
  return doc;
}

/** Every text run of the first page, one a line, as a reader that copies text out of the PDF would see it. */
async function pageText(bytes: Uint8Array): Promise<string> {
  const doc = await openPdf(bytes);
  const page = await doc.getPage(1);
  const content = await page.getTextContent();
  const text = content.items.map((item) => ('str' in item ? item.str : '')).join('\n');
  await doc.destroy();
  return text;
}

describe('renderCertificate', () => {
  let pdf: Uint8Array;
  let text: string;

  beforeAll(async () => {
    pdf = await renderCertificate(certificate, font);
    text = await pageText(pdf);
  });

  it('is one A4 page', async () => {
    const doc = await openPdf(pdf);
    expect(doc.numPages).toBe(1);
    const page = await doc.getPage(1);
    expect(page.view.map((v) => Math.round(v))).toEqual([0, 0, 595, 842]);
    await doc.destroy();
  });

  it('shows every field, the Hangul ones included, read back through the font’s Unicode map', () => {
    for (const value of [
      '수료증',
      'Certificate of Completion',
      certificate.number,
      certificate.learnerName,
      certificate.courseTitle,
      certificate.institutionName,
      certificate.institutionCertificationNumber,
      '12.5시간 / 12.5 hours',
      '2026-01-05 ~ 2026-02-05',
      certificate.completedOn,
      '87.5 / 100',
      certificate.verificationUrl,
    ])
      expect(text).toContain(value);
  });

  it('labels each field in Korean and English', () => {
    for (const label of [
      '성명',
      'Name',
      '과정명',
      'Course',
      '교육 시간',
      'Training hours',
      '교육 기간',
      'Training period',
      '수료일',
      'Completed on',
      '점수',
      'Score',
      '훈련기관',
      'Training institution',
      '기관 인증번호',
      'Institution certification No.',
      '증서 번호',
      'Certificate No.',
    ])
      expect(text).toContain(label);
  });

  it('embeds only the glyphs it uses (the whole font is 2.7 MB)', () => {
    expect(pdf.byteLength).toBeLessThan(60_000);
  });

  it('renders the same bytes for the same certificate', async () => {
    expect(Buffer.from(await renderCertificate(certificate, font)).equals(Buffer.from(pdf))).toBe(true);
  });

  it('carries a QR code that a scanner reads as the verification URL', async () => {
    const doc = await openPdf(pdf);
    const page = await doc.getPage(1);
    const viewport = page.getViewport({ scale: 2 });
    const canvas = createCanvas(Math.ceil(viewport.width), Math.ceil(viewport.height));
    const context = canvas.getContext('2d');
    const target = canvas as unknown as NonNullable<Parameters<typeof page.render>[0]['canvas']>;
    await page.render({ canvas: target, viewport }).promise;
    // The code sits in the lower left quarter; a scanner would be pointed there too.
    const width = Math.floor(canvas.width / 2);
    const height = Math.floor(canvas.height / 4);
    const image = context.getImageData(0, canvas.height - height, width, height);
    await doc.destroy();
    expect(jsQR(image.data, width, height)?.data).toBe(certificate.verificationUrl);
  });

  it('leaves the score out when the profile has none', async () => {
    const withoutScore = await pageText(await renderCertificate({ ...certificate, score: null }, font));
    expect(withoutScore).toContain(certificate.learnerName);
    expect(withoutScore).not.toContain('점수');
    expect(withoutScore).not.toContain('Score');
    expect(withoutScore).not.toContain('/ 100');
  });

  it('leaves the hours out for a course without video lessons', async () => {
    const withoutHours = await pageText(await renderCertificate({ ...certificate, hours: 0 }, font));
    expect(withoutHours).toContain(certificate.courseTitle);
    expect(withoutHours).not.toContain('Training hours');
  });

  it('shows whole hours without decimals and Latin names as they are', async () => {
    const latin = await pageText(
      await renderCertificate({ ...certificate, learnerName: 'Jane Doe', hours: 40, score: 100 }, font),
    );
    expect(latin).toContain('Jane Doe');
    expect(latin).toContain('40시간 / 40 hours');
    expect(latin).toContain('100 / 100');
  });

  it('keeps the longest names and titles on one page, clear of the QR code', async () => {
    const long = (unit: string, length: number) =>
      unit.repeat(Math.ceil(length / unit.length)).slice(0, length);
    const longest = {
      ...certificate,
      number: long('LMS-7K3Q-', 64),
      learnerName: long('김민지 Jane ', 100),
      courseTitle: long('산업안전보건 관리자 실무 과정 ', 200),
      institutionName: long('한빛직업능력개발원 ', 100),
      institutionCertificationNumber: long('제2026-서울-0142호 ', 64),
      verificationUrl: `https://app.example.com/verify/${long('LMS-7K3Q-9XPA', 169)}`,
    };
    const doc = await openPdf(await renderCertificate(longest, font));
    expect(doc.numPages).toBe(1);
    const items = (await (await doc.getPage(1)).getTextContent()).items.flatMap((item) =>
      'str' in item && item.str.trim() ? [item] : [],
    );
    await doc.destroy();
    // The QR code's top edge is 150 pt above the page's foot (y grows upwards in PDF space); only the
    // verification block beside it, its lines starting at x = 166 pt, may reach below that.
    const beside = items.filter((item) => Math.abs(item.transform[4] - 166) < 1);
    const above = items.filter((item) => !beside.includes(item));
    expect(beside.map((item) => item.str).join('')).toContain('Verify this certificate');
    for (const item of above) expect(item.transform[5]).toBeGreaterThan(150 + 4);
    expect(above.map((item) => item.str).join('')).toContain(longest.institutionName.trim().slice(0, 20));
  });

  it.each([
    ['a blank name', { learnerName: '  ' }, 'learnerName'],
    ['a period that ends before it starts', { periodEnd: '2026-01-04' }, 'periodEnd'],
    ['a date that is not a date', { completedOn: '2026-02-30' }, 'completedOn'],
    ['a score over 100', { score: 101 }, 'score'],
    ['negative hours', { hours: -1 }, 'hours'],
    ['a URL that is not a web address', { verificationUrl: 'javascript:alert(1)' }, 'verificationUrl'],
  ])('refuses %s', async (_what, change, field) => {
    await expect(renderCertificate({ ...certificate, ...change }, font)).rejects.toThrow(field);
  });
});

describe('the Lambda bundle', () => {
  let dir: string;
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('renders with no node_modules beside it, reading the font the stack copies', () => {
    dir = mkdtempSync(join(tmpdir(), 'certificate-bundle-'));
    // The options of lib/constructs/lms-function.ts: its `module` main field and CommonJS output are what
    // would pick pdfkit's ES module build.
    buildSync({
      stdin: {
        contents: `export { loadCertificateFont, renderCertificate } from './render-certificate';`,
        resolveDir: join(REPO_ROOT, 'lambda/certificates'),
        loader: 'ts',
      },
      bundle: true,
      minify: true,
      platform: 'node',
      target: 'node22',
      format: 'cjs',
      mainFields: ['module', 'main'],
      external: ['@aws-sdk/*'],
      logLevel: 'error',
      outfile: join(dir, 'index.js'),
    });
    for (const copy of Object.values(CERTIFICATES.fontFiles)) {
      mkdirSync(dirname(join(dir, copy.to)), { recursive: true });
      cpSync(join(REPO_ROOT, copy.from), join(dir, copy.to));
    }
    writeFileSync(join(dir, 'certificate.json'), JSON.stringify(certificate));
    const script = `
      const { loadCertificateFont, renderCertificate } = require('./index.js');
      const certificate = require('./certificate.json');
      renderCertificate(certificate, loadCertificateFont()).then((pdf) => process.stdout.write(pdf));
    `;
    const out = execFileSync(process.execPath, ['-e', script], { cwd: dir, env: { PATH: process.env.PATH } });
    expect(out.subarray(0, 5).toString()).toBe('%PDF-');
    expect(out.length).toBeGreaterThan(10_000);
    expect(readFileSync(join(dir, 'fonts/Pretendard-LICENSE.txt'), 'utf8')).toContain(
      'SIL Open Font License',
    );
  });
});
