import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildSync } from 'esbuild';
import { REPO_ROOT } from '#lib/paths';
import {
  type CertificateDocument,
  loadCertificateFont,
  renderCertificate,
} from '#lambda/certificates/render-certificate';

/*
 * What one certificate costs: the first render in a fresh process (a Lambda's cold start, which parses the
 * font), then the steady state of one process rendering one certificate after another (a warm Lambda), the
 * PDF's size, and the size of the renderer's bundle built with the platform's esbuild options.
 *
 * Reproduce: npm run bench:certificate
 *
 * Measured 2026-12-06 on a shared 2-core machine (Node 20, load average 9 to 10 from other work), three
 * runs: first render 0.9 to 1.2 s, then p50 50 to 110 ms and p95 150 to 430 ms per certificate; PDF 18 KB
 * (Pretendard subset to the glyphs used; the whole font file is 2.7 MB); bundle 1.1 MB minified, plus the
 * 2.7 MB font file copied beside it; resident memory of the whole process (tsx included) ~165 MB.
 *
 * Most of a render is fontkit shaping each run of text through Pretendard's GSUB and GPOS tables; the parsed
 * font is kept per font array, so only the first render parses those tables.
 */
const RUNS = Number(process.env.RUNS ?? 30);

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

function bundleSize(): number {
  const dir = mkdtempSync(join(tmpdir(), 'certificate-bench-'));
  try {
    const outfile = join(dir, 'index.js');
    // lib/constructs/lms-function.ts's options.
    buildSync({
      entryPoints: [join(REPO_ROOT, 'lambda/certificates/render-certificate.ts')],
      bundle: true,
      minify: true,
      platform: 'node',
      target: 'node22',
      format: 'cjs',
      mainFields: ['module', 'main'],
      external: ['@aws-sdk/*'],
      logLevel: 'error',
      outfile,
    });
    return statSync(outfile).size;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  let started = performance.now();
  const font = loadCertificateFont();
  const first = await renderCertificate(certificate, font);
  const firstMs = performance.now() - started;

  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    started = performance.now();
    await renderCertificate(
      { ...certificate, number: `LMS-7K3Q-9XPA-2M4T-${String(i).padStart(4, '0')}` },
      font,
    );
    times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);
  const at = (q: number) => times[Math.min(times.length - 1, Math.floor(q * times.length))];
  const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;

  console.log(`first render (font read and parsed): ${firstMs.toFixed(0)} ms`);
  console.log(
    `next ${RUNS} renders: p50 ${at(0.5).toFixed(0)} ms, p95 ${at(0.95).toFixed(0)} ms, ` +
      `mean ${(times.reduce((a, b) => a + b, 0) / times.length).toFixed(0)} ms`,
  );
  console.log(`PDF: ${kb(first.byteLength)} (font file ${kb(font.byteLength)})`);
  console.log(`resident memory after the renders: ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MB`);
  console.log(`bundle (minified, CommonJS, node22): ${kb(bundleSize())}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
