/*
 * Copies the README's tour pictures from the browser tests' screenshots (artifacts/web/, written by
 * `npm test`) into docs/tour/, scaled to 900 px wide with a 128-colour palette so the repository stays small.
 *
 *   npm run tour-images
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import ffmpeg from '@ffmpeg-installer/ffmpeg';

const ROOT = join(__dirname, '..');
const FROM = join(ROOT, 'artifacts', 'web');
const TO = join(ROOT, 'docs', 'tour');

/** docs/tour/<name>.png from artifacts/web/<screenshot>.png: the README names the left side. */
const TOUR: Readonly<Record<string, string>> = {
  'console-home': 'console-insights-0-home',
  'course-builder': 'console-builder-4-video-ready',
  'upload-resume': 'console-builder-6-unfinished-upload',
  'company-progress': 'console-company-8-progress',
  'live-room': 'console-live-4-answers-chat-attendance',
  'live-learner': 'live-3-quiz-answered',
  'exam-grading': 'console-exams-5-sitting-graded',
  analytics: 'console-insights-1-analytics',
};

mkdirSync(TO, { recursive: true });
const missing = Object.values(TOUR).filter((shot) => !existsSync(join(FROM, `${shot}.png`)));
if (missing.length) {
  console.error(`Run the browser tests first (npm test); missing in artifacts/web/: ${missing.join(', ')}`);
  process.exit(1);
}
for (const [name, shot] of Object.entries(TOUR)) {
  execFileSync(ffmpeg.path, [
    ...['-v', 'error', '-y', '-i', join(FROM, `${shot}.png`)],
    ...[
      '-vf',
      'scale=900:-1:flags=lanczos,split[a][b];[a]palettegen=max_colors=128[p];[b][p]paletteuse=dither=none',
    ],
    join(TO, `${name}.png`),
  ]);
  console.log(`docs/tour/${name}.png  <- artifacts/web/${shot}.png`);
}
