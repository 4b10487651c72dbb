import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { create as createQrCode } from 'qrcode';
import * as z from 'zod';
// The CommonJS builds on purpose: esbuild resolves an `import` statement to pdfkit's ES module build, whose
// load-time `new URL(..., import.meta.url)` throws in the platform's CommonJS bundles, and to a second copy of
// fontkit beside the one pdfkit requires.
/* eslint-disable @typescript-eslint/no-require-imports -- the only import form esbuild resolves to CommonJS */
import fontkit = require('fontkit');
import PDFDocument = require('pdfkit');
import { CERTIFICATES } from '#contracts/certificates';
/* eslint-enable @typescript-eslint/no-require-imports */

/** What one certificate shows; the caller (the certificates domain) owns every value, the number included. */
export interface CertificateDocument {
  readonly number: string;
  readonly learnerName: string;
  readonly courseTitle: string;
  readonly institutionName: string;
  readonly institutionCertificationNumber: string;
  /** Training hours, may be fractional. */
  readonly hours: number;
  /** 'YYYY-MM-DD' */
  readonly periodStart: string;
  /** 'YYYY-MM-DD' */
  readonly periodEnd: string;
  /** 'YYYY-MM-DD' */
  readonly completedOn: string;
  /** 0-100; the score line is left out when null (profiles without exams). */
  readonly score: number | null;
  /** What the QR code encodes: the public verification page of this certificate. */
  readonly verificationUrl: string;
}

const isoDate = z.iso.date();
const line = (max: number) => z.string().trim().min(1).max(max);

// A certificate is a legal record: a blank name or an impossible period must fail loudly, not print.
const certificateDocumentSchema = z
  .object({
    number: line(64),
    learnerName: line(100),
    courseTitle: line(200),
    institutionName: line(100),
    institutionCertificationNumber: line(64),
    // A course of exams and materials alone has no video hours: the row is left out then.
    hours: z.number().min(0).max(10_000),
    periodStart: isoDate,
    periodEnd: isoDate,
    completedOn: isoDate,
    score: z.number().min(0).max(100).nullable(),
    verificationUrl: z.url({ protocol: /^https?$/ }).max(200),
  })
  .refine((d) => d.periodStart <= d.periodEnd, { path: ['periodEnd'], message: 'before periodStart' });

/**
 * Reads the certificate font: beside the bundle in a Lambda (no node_modules there), from the pretendard
 * package otherwise. Callers read it once at module scope and pass it to every render.
 */
export function loadCertificateFont(): Uint8Array {
  const { font } = CERTIFICATES.fontFiles;
  const bundled = join(__dirname, font.to);
  if (existsSync(bundled)) return readFileSync(bundled);
  return readFileSync(require.resolve(font.from.slice('node_modules/'.length)));
}

const parsedFonts = new WeakMap<Uint8Array, fontkit.Font>();

/**
 * The font parsed once per byte array: fontkit keeps the tables it has read (Pretendard's large GSUB and GPOS)
 * on the parsed font, so later certificates skip most of the work. Each document still makes its own subset.
 */
function parsedFont(bytes: Uint8Array): fontkit.Font {
  const known = parsedFonts.get(bytes);
  if (known) return known;
  const parsed = fontkit.create(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  if (!('layout' in parsed)) throw new Error('The certificate font is a font collection, not one font');
  parsedFonts.set(bytes, parsed);
  return parsed;
}

// A4 in points.
const PAGE = { width: 595.28, height: 841.89 };
const MARGIN = 56;
const INK = '#1f2937';
const MUTED = '#6b7280';
const ACCENT = '#1e3a8a';

const numberText = new Intl.NumberFormat('en-US', { maximumFractionDigits: 2, useGrouping: false });

/**
 * Renders one certificate as a one-page A4 PDF, Korean and English side by side, with a QR code of the
 * verification URL. Only the glyphs used are embedded (fontkit subsetting), so a certificate stays small.
 */
export async function renderCertificate(doc: CertificateDocument, font: Uint8Array): Promise<Uint8Array> {
  const d = certificateDocumentSchema.parse(doc);
  const pdf = new PDFDocument({
    size: 'A4',
    // Every block is placed; the low bottom margin only keeps pdfkit from breaking to a second page.
    margins: { top: MARGIN, left: MARGIN, right: MARGIN, bottom: 16 },
    // The default font: pdfkit would otherwise load Helvetica's metrics, absent from the bundle. pdfkit takes
    // a parsed fontkit font wherever it takes a font; its typings name only the path form.
    font: parsedFont(font) as unknown as string,
    info: {
      Title: `수료증 Certificate of Completion ${d.number}`,
      Author: d.institutionName,
      Subject: `${d.learnerName} · ${d.courseTitle}`,
      // A fixed date keeps the document a function of its data: the same certificate renders the same bytes.
      CreationDate: new Date(`${d.completedOn}T00:00:00Z`),
    },
    lang: 'ko',
    displayTitle: true,
  });
  const chunks: Buffer[] = [];
  const done = new Promise<Uint8Array>((resolve, reject) => {
    pdf.on('data', (chunk: Buffer) => chunks.push(chunk));
    pdf.on('end', () => resolve(new Uint8Array(Buffer.concat(chunks))));
    pdf.on('error', reject);
  });

  drawFrame(pdf);
  const qrTop = drawVerification(pdf, d.verificationUrl);
  const width = PAGE.width - 2 * MARGIN;

  // Title block: bold by stroking the glyph outlines too, since one regular weight is embedded.
  pdf.fillColor(ACCENT).strokeColor(ACCENT).lineWidth(0.6);
  pdf.fontSize(40).text('수료증', MARGIN, 96, { width, align: 'center', stroke: true, fill: true });
  pdf
    .fillColor(INK)
    .fontSize(18)
    .text('Certificate of Completion', { width, align: 'center', characterSpacing: 1 });
  pdf.moveDown(0.6);
  pdf
    .fillColor(MUTED)
    .fontSize(10)
    .text(`증서 번호 Certificate No.  ${d.number}`, { width, align: 'center' });
  const rowsTop = pdf.y + 24;

  const hours = numberText.format(d.hours);
  const fields: [string, string, string][] = [
    ['성명', 'Name', d.learnerName],
    ['과정명', 'Course', d.courseTitle],
    ...(d.hours === 0
      ? []
      : [['교육 시간', 'Training hours', `${hours}시간 / ${hours} hours`] as [string, string, string]]),
    ['교육 기간', 'Training period', `${d.periodStart} ~ ${d.periodEnd}`],
    ['수료일', 'Completed on', d.completedOn],
    ...(d.score === null
      ? []
      : [['점수', 'Score', `${numberText.format(d.score)} / 100`] as [string, string, string]]),
    ['훈련기관', 'Training institution', d.institutionName],
    ['기관 인증번호', 'Institution certification No.', d.institutionCertificationNumber],
  ];
  const labelX = MARGIN + 20;
  const labelWidth = 150;
  const valueX = labelX + labelWidth + 12;
  const valueWidth = PAGE.width - labelX - valueX;
  const rows = fields.map(([ko, en, value]) => {
    const size = fittedSize(pdf, value, valueWidth, 13, 8, 2);
    const height = Math.max(
      measure(pdf, ko, 11, labelWidth) + measure(pdf, en, 8.5, labelWidth),
      measure(pdf, value, size, valueWidth),
    );
    return { ko, en, value, size, height };
  });
  const issuerSize = fittedSize(pdf, d.institutionName, width, 20, 11, 1);
  const closing = [
    measure(pdf, STATEMENT_KO, 12.5, width),
    measure(pdf, STATEMENT_EN, 10.5, width),
    measure(pdf, d.completedOn, 12, width),
    measure(pdf, d.institutionName, issuerSize, width),
  ];
  // Long names and titles take more lines; the space between rows gives way first, so every certificate
  // stays on one page and clear of the QR code.
  const spare =
    qrTop - 16 - rowsTop - rows.reduce((sum, r) => sum + r.height, 0) - closing.reduce((a, b) => a + b, 0);
  const wantedGaps = rows.length * 14 + 28 + 6 + 24 + 12;
  const squeeze = Math.max(0.3, Math.min(1, spare / wantedGaps));

  let y = rowsTop;
  for (const row of rows) {
    pdf.fillColor(INK).fontSize(11).text(row.ko, labelX, y, { width: labelWidth });
    pdf.fillColor(MUTED).fontSize(8.5).text(row.en, { width: labelWidth });
    pdf.fillColor(INK).fontSize(row.size).text(row.value, valueX, y, { width: valueWidth });
    y += row.height + 7 * squeeze;
    pdf
      .moveTo(labelX, y)
      .lineTo(PAGE.width - labelX, y)
      .lineWidth(0.4)
      .strokeColor('#d1d5db')
      .stroke();
    y += 7 * squeeze;
  }

  // The statement, in both languages, the date and the issuer.
  y += 28 * squeeze;
  pdf.fillColor(INK).fontSize(12.5).text(STATEMENT_KO, MARGIN, y, { width, align: 'center' });
  y += closing[0] + 6 * squeeze;
  pdf.fillColor(MUTED).fontSize(10.5).text(STATEMENT_EN, MARGIN, y, { width, align: 'center' });
  y += closing[1] + 24 * squeeze;
  pdf.fillColor(INK).fontSize(12).text(d.completedOn, MARGIN, y, { width, align: 'center' });
  y += closing[2] + 12 * squeeze;
  pdf.fillColor(ACCENT).strokeColor(ACCENT).lineWidth(0.4);
  pdf
    .fontSize(issuerSize)
    .text(d.institutionName, MARGIN, y, { width, align: 'center', stroke: true, fill: true });

  pdf.end();
  return done;
}

function drawFrame(pdf: PDFKit.PDFDocument): void {
  pdf
    .lineWidth(2.5)
    .strokeColor(ACCENT)
    .rect(24, 24, PAGE.width - 48, PAGE.height - 48)
    .stroke();
  pdf
    .lineWidth(0.8)
    .rect(32, 32, PAGE.width - 64, PAGE.height - 64)
    .stroke();
}

const STATEMENT_KO = '위 사람은 위 과정을 성실히 이수하였으므로 이 증서를 수여합니다.';
const STATEMENT_EN = 'This is to certify that the person named above has completed the course above.';

/** Height of a text block at a size and width. */
function measure(pdf: PDFKit.PDFDocument, text: string, size: number, width: number): number {
  return pdf.fontSize(size).heightOfString(text, { width });
}

/** The largest size, down to `smallest`, at which the text takes at most `lines` lines. */
function fittedSize(
  pdf: PDFKit.PDFDocument,
  text: string,
  width: number,
  largest: number,
  smallest: number,
  lines: number,
): number {
  for (let size = largest; size > smallest; size -= 0.5) {
    if (measure(pdf, text, size, width) <= lines * pdf.currentLineHeight(true) + 0.5) return size;
  }
  return smallest;
}

/**
 * QR code of the verification URL (vector squares, so it stays sharp and small) and the URL beside it, at
 * the foot of the page. Returns the code's top edge.
 */
function drawVerification(pdf: PDFKit.PDFDocument, url: string): number {
  const modules = createQrCode(url, { errorCorrectionLevel: 'M' }).modules;
  const size = 86;
  const cell = size / modules.size;
  const x0 = MARGIN + 8;
  const y0 = PAGE.height - MARGIN - 8 - size;
  // One rectangle per horizontal run of dark modules, all filled at once: a fraction of the path size.
  for (let row = 0; row < modules.size; row++) {
    let col = 0;
    while (col < modules.size) {
      if (!modules.get(row, col)) {
        col++;
        continue;
      }
      const start = col;
      while (col < modules.size && modules.get(row, col)) col++;
      pdf.rect(x0 + start * cell, y0 + row * cell, (col - start) * cell, cell);
    }
  }
  pdf.fillColor('#000000').fill();

  const textX = x0 + size + 16;
  const textWidth = PAGE.width - MARGIN - 8 - textX;
  pdf
    .fillColor(INK)
    .fontSize(9.5)
    .text('진위 확인 Verify this certificate', textX, y0 + 18, { width: textWidth });
  pdf
    .fillColor(MUTED)
    .fontSize(8)
    .text('QR 코드를 스캔하거나 아래 주소에서 증서 번호로 확인하십시오. Scan the code or open:', {
      width: textWidth,
    });
  pdf.moveDown(0.3);
  pdf.fillColor(ACCENT).fontSize(8).text(url, { width: textWidth, link: url });
  return y0;
}
