import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { extname, join, sep } from 'node:path';
import { promisify } from 'node:util';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { contentSecurityPolicy, WEB_APP, type WebAppConfig } from '#contracts/web-app';

const REPO = join(__dirname, '..');

/*
 * The browser app on the API's origin, as `npm start` serves it: built once at start from web/, then
 * answered as the web stack's distribution answers it (index.html for every screen, hashed assets cached for
 * a year, index.html never, the same security headers), with `/config.json` saying the API is right here.
 */

export interface LocalWebAppOptions {
  /** What `GET /config.json` answers. */
  readonly config: WebAppConfig;
  /** The playback distribution's origin: the app's policy lets hls.js and <video> reach it. */
  readonly videoOrigin: string;
  /** The S3 stand-in's origin: the policy lets the console PUT upload parts to it. */
  readonly uploadOrigin: string;
  /** The local IVS's origins (HLS, metadata events, chat's socket): the live pages reach them. @default none */
  readonly liveOrigins?: readonly string[];
}

/** A build of the app, held in memory. */
export interface LocalWebAppBuild {
  readonly indexHtml: Buffer;
  /** Every other file, by URL path. */
  readonly files: ReadonlyMap<string, { readonly type: string; readonly body: Buffer }>;
  /** Milliseconds the build took. */
  readonly ms: number;
}

/**
 * Builds the app with Vite's JS API into a directory of its own, so a running `npm start` never races a
 * developer's `web/dist` (or a synth's). The build runs in a child process: Vite ships ES modules only,
 * which the runner's CommonJS (and jest's) cannot load in-process, and its bundler's threads and memory go
 * with the child.
 */
async function buildApp(outDir: string): Promise<void> {
  const script = [
    "import { build } from 'vite';",
    'const [configFile, outDir] = process.argv.slice(1);',
    "await build({ configFile, logLevel: 'error', build: { outDir, emptyOutDir: true } });",
  ].join('\n');
  try {
    await promisify(execFile)(
      process.execPath,
      ['--input-type=module', '-e', script, '--', join(REPO, 'web', 'vite.config.mts'), outDir],
      // From the repository, so the script's `vite` resolves to the project's own.
      { cwd: REPO, env: { ...process.env, VITE_CONFIG_NATIVE_IGNORE_WARNING: 'true' } },
    );
  } catch (e) {
    const { stderr } = e as { stderr?: string };
    throw new Error(`The web app did not build (web/vite.config.mts): ${stderr?.trim() || String(e)}`);
  }
}

const TYPES: Readonly<Record<string, string>> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.webmanifest': 'application/manifest+json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

/**
 * The build's files but index.html, by URL path, held in memory: a build is a few hundred kilobytes, and
 * a route per file leaves every other path to the platform's 404. (Not @fastify/static: it reaches a
 * package that ships ES modules only, which jest's CommonJS cannot load, and every local test loads this.)
 */
async function readBuild(dir: string) {
  const files = new Map<string, { readonly type: string; readonly body: Buffer }>();
  for (const name of await readdir(dir, { recursive: true })) {
    if (!(await stat(join(dir, name))).isFile()) continue;
    const path = `/${name.split(sep).join('/')}`;
    if (path === '/index.html') continue;
    const type = TYPES[extname(path)] ?? 'application/octet-stream';
    files.set(path, { type, body: await readFile(join(dir, name)) });
  }
  return files;
}

/** Headers CloudFront's response headers policy adds to every answer of the web distribution. */
function securityHeaders(
  videoOrigin: string,
  uploadOrigin: string,
  liveOrigins: readonly string[],
): Record<string, string> {
  return {
    'content-security-policy': contentSecurityPolicy({
      apiOrigins: [],
      videoOrigins: [videoOrigin],
      uploadOrigins: [uploadOrigin],
      liveOrigins,
    }),
    'x-content-type-options': 'nosniff',
    'x-frame-options': 'DENY',
    'referrer-policy': 'strict-origin-when-cross-origin',
  };
}

/** The screens' paths as routes: each prefix itself and everything under it. */
export const screenRoutes = (): string[] => ['/', ...WEB_APP.screens.flatMap((s) => [s, `${s}/*`])];

/** Where builds are kept by their inputs' fingerprint (see buildLocalWebApp). */
const BUILD_CACHE = join(REPO, 'node_modules', '.cache', 'lms-web-app');

/**
 * A fingerprint of everything a build reads: web/ (but its own output and modules), the contracts it
 * imports, and the lock file that pins Vite and the app's packages.
 */
async function inputsFingerprint(): Promise<string> {
  const hash = createHash('sha256');
  for (const root of ['web', 'contracts']) {
    const names = (await readdir(join(REPO, root), { recursive: true }))
      .filter((n) => !/^(dist|node_modules)([/\\]|$)/.test(n))
      .sort();
    for (const name of names) {
      const path = join(REPO, root, name);
      if (!(await stat(path)).isFile()) continue;
      hash
        .update(`${root}/${name}\0`)
        .update(await readFile(path))
        .update('\0');
    }
  }
  hash.update(await readFile(join(REPO, 'package-lock.json')));
  return hash.digest('hex').slice(0, 32);
}

/** Keeps the newest few builds: enough for switching branches, not a growing pile. */
async function pruneBuilds(keep = 3): Promise<void> {
  const entries = await Promise.all(
    (await readdir(BUILD_CACHE))
      .filter((n) => !n.startsWith('building-'))
      .map(async (n) => ({ n, at: (await stat(join(BUILD_CACHE, n))).mtimeMs })),
  );
  const old = entries.sort((a, b) => b.at - a.at).slice(keep);
  await Promise.all(old.map(({ n }) => rm(join(BUILD_CACHE, n), { recursive: true, force: true })));
}

/**
 * Builds the app (see buildApp) and reads the build into memory. A build is kept under node_modules/.cache by
 * its inputs' fingerprint: a second `npm start`, and every browser test file after the first, serve the same
 * bytes without building again, and any change to the app's inputs builds anew. Start it early: it runs
 * beside the platform's own start.
 */
export async function buildLocalWebApp(): Promise<LocalWebAppBuild> {
  const started = Date.now();
  const cached = join(BUILD_CACHE, await inputsFingerprint());
  const done = await stat(join(cached, 'index.html')).then(
    () => true,
    () => false,
  );
  if (!done) {
    await mkdir(BUILD_CACHE, { recursive: true });
    const dir = await mkdtemp(join(BUILD_CACHE, 'building-'));
    try {
      await buildApp(dir);
      // A rename is atomic: a reader sees a whole build or none. When two processes built the same inputs at
      // once, the second rename fails on the first one's directory, which holds the same build.
      await rename(dir, cached).catch(() => undefined);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    await pruneBuilds();
  }
  const indexHtml = await readFile(join(cached, 'index.html'));
  return { indexHtml, files: await readBuild(cached), ms: Date.now() - started };
}

/** Serves a build on the platform's server. Call it before the server listens: each file is a route. */
export async function registerLocalWebApp(
  app: FastifyInstance,
  build: LocalWebAppBuild,
  options: LocalWebAppOptions,
): Promise<void> {
  const { indexHtml, files } = build;
  const headers = securityHeaders(options.videoOrigin, options.uploadOrigin, options.liveOrigins ?? []);

  // In a scope of its own: these headers are the app's, not the API's.
  await app.register(async (scope) => {
    scope.addHook('onSend', async (_req, reply) => {
      reply.headers(headers);
    });
    for (const [path, file] of files) {
      // Vite names what it emits under assets/ by content hash; anything else may change under its name.
      const cache = path.startsWith('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache';
      scope.get(path, (_req, reply) => reply.type(file.type).header('cache-control', cache).send(file.body));
    }
    const index = (_req: unknown, reply: FastifyReply) =>
      reply.type('text/html; charset=utf-8').header('cache-control', 'no-cache').send(indexHtml);
    for (const path of screenRoutes()) scope.get(path, index);
    scope.get(WEB_APP.configPath, async (_req, reply) =>
      reply.header('cache-control', 'no-cache').send(options.config),
    );
  });
}
