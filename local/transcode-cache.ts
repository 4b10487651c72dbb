import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { cp, mkdir, mkdtemp, readdir, readFile, rename, rm, stat, utimes } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import * as transcodeSettings from '#lambda/vod/transcode-settings';

/** Where encodes are kept: beside the web app's build cache, and gone with node_modules. */
export const TRANSCODE_CACHE_DIR = join(__dirname, '..', 'node_modules', '.cache', 'lms-transcodes');

/** Bumped when the layout of an entry changes, so an old cache is never read as a new one. */
const LAYOUT = 'lms-transcodes/1';

/** One ffmpeg encode: its input, where it writes, and the arguments that name both. */
export interface Encode {
  readonly ffmpeg: string;
  readonly source: string;
  /** An empty directory the encode writes every output into. */
  readonly out: string;
  readonly args: readonly string[];
}

export interface TranscodeCacheOptions {
  /** @default TRANSCODE_CACHE_DIR */
  readonly dir?: string;
  /** The newest entries kept; older ones are removed after each store. @default 16 */
  readonly keep?: number;
}

/**
 * The local transcoder's encodes, kept by content: an entry's key is the digest of the source's bytes, of
 * the ffmpeg arguments (its paths written as placeholders), of the ffmpeg binary, and of the ladder and
 * settings of transcode-settings. The same video encoded the same way again (the demo's clips, which ffmpeg
 * makes byte for byte the same each time, in every browser test file) is copied from the cache instead of
 * being encoded; any change to what shapes the output misses and encodes anew. Only a whole, successful
 * encode is kept, so a failure always comes from ffmpeg itself.
 */
export class TranscodeCache {
  readonly dir: string;
  private readonly keep: number;

  constructor(options: TranscodeCacheOptions = {}) {
    this.dir = options.dir ?? TRANSCODE_CACHE_DIR;
    this.keep = options.keep ?? 16;
  }

  /**
   * Fills `encode.out` with the outputs of `run`: from the cache when the same encode was kept before,
   * else by running it and keeping what it wrote. Reports whether the cache answered.
   */
  async through(encode: Encode, run: () => Promise<unknown>): Promise<'hit' | 'miss'> {
    const entry = join(this.dir, await this.keyOf(encode));
    if (await exists(entry)) {
      // Another process may prune the entry while it is copied: then the encode runs after all.
      const copied = await cp(entry, encode.out, { recursive: true }).then(
        () => true,
        () => false,
      );
      if (copied) {
        // Its age is when it was last used, so pruning drops the entries no run asks for.
        const now = new Date();
        await utimes(entry, now, now).catch(() => undefined);
        return 'hit';
      }
      await rm(encode.out, { recursive: true, force: true });
      await mkdir(encode.out);
    }
    await run();
    await this.store(encode, entry);
    return 'miss';
  }

  /** The entry's name: a digest of everything that decides the bytes ffmpeg writes. */
  async keyOf({ ffmpeg, source, out, args }: Encode): Promise<string> {
    const binary = await stat(ffmpeg);
    const placeholders = args.map((arg) => arg.replaceAll(source, '<source>').replaceAll(out, '<out>'));
    return createHash('sha256')
      .update(
        JSON.stringify({
          layout: LAYOUT,
          source: await digestOf(source),
          args: placeholders,
          ffmpeg: { path: ffmpeg, bytes: binary.size, modified: binary.mtimeMs },
          settings: transcodeSettings,
        }),
      )
      .digest('hex')
      .slice(0, 40);
  }

  private async store({ out }: Encode, entry: string): Promise<void> {
    const names = await readdir(out);
    // A playlist naming the scratch directory could not be served from another one: such an encode is
    // not kept (ffmpeg names segments relative to their playlist, so this only guards a change of args).
    for (const name of names.filter((n) => n.endsWith('.m3u8'))) {
      if ((await readFile(join(out, name), 'utf8')).includes(out)) return;
    }
    await mkdir(this.dir, { recursive: true });
    const building = await mkdtemp(join(this.dir, 'building-'));
    try {
      await cp(out, building, { recursive: true });
      // A rename is atomic: a reader sees a whole entry or none. When two processes encoded the same video
      // at once, the second rename fails on the first one's entry, which holds the same bytes.
      await rename(building, entry).catch(() => undefined);
    } finally {
      await rm(building, { recursive: true, force: true });
    }
    await this.prune();
  }

  private async prune(): Promise<void> {
    const names = (await readdir(this.dir)).filter((n) => !n.startsWith('building-'));
    const entries = await Promise.all(
      names.map(async (n) => ({
        n,
        at: (await stat(join(this.dir, n)).catch(() => undefined))?.mtimeMs ?? 0,
      })),
    );
    const old = entries.sort((a, b) => b.at - a.at).slice(this.keep);
    await Promise.all(old.map(({ n }) => rm(join(this.dir, n), { recursive: true, force: true })));
  }
}

async function digestOf(path: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(path), hash);
  return hash.digest('hex');
}

const exists = (path: string) =>
  stat(path).then(
    () => true,
    () => false,
  );
