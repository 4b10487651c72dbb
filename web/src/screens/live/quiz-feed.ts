import type { QuizMetadata } from '#contracts/live';
import type { LiveClientConfig } from '#contracts/web-app';

/*
 * Where a sent quiz reaches the learner's page. In AWS it travels inside the stream as IVS timed metadata
 * (PutMetadata), and the player hands it over as a TEXT_METADATA_CUE in step with the picture; the local IVS
 * publishes the same payload as server-sent events (local/ivs.ts). The page reads either through `QuizFeed`,
 * chosen by the runtime config (`quizFeedFor`).
 */

export interface QuizFeed {
  /** Calls `onQuiz` with each quiz as it arrives; returns what stops listening. */
  subscribe(onQuiz: (quiz: QuizMetadata) => void): () => void;
}

/** The payload as `quizMetadata` (contracts/live.ts) writes it, or undefined for anything else on the channel. */
export function parseQuiz(text: string): QuizMetadata | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const m = value as Record<string, unknown>;
  const ok =
    m.v === 1 &&
    m.t === 'quiz' &&
    typeof m.id === 'string' &&
    typeof m.q === 'string' &&
    Array.isArray(m.o) &&
    m.o.length >= 2 &&
    m.o.every((o) => typeof o === 'string') &&
    typeof m.d === 'number' &&
    Number.isFinite(m.d);
  return ok ? (m as unknown as QuizMetadata) : undefined;
}

/** The part of the IVS player the feed needs: its cue events. */
export interface CueSource {
  addEventListener(type: string, listener: (cue: { text?: string }) => void): void;
  removeEventListener(type: string, listener: (cue: { text?: string }) => void): void;
}

/** PlayerEventType.TEXT_METADATA_CUE of amazon-ivs-player, named here so this module does not load the player. */
export const TEXT_METADATA_CUE = 'PlayerTextMetadataCue';

/** Quizzes from the IVS player's timed-metadata cues (AWS). */
export function ivsPlayerFeed(player: CueSource): QuizFeed {
  return {
    subscribe(onQuiz) {
      const listener = (cue: { text?: string }) => {
        const quiz = typeof cue.text === 'string' ? parseQuiz(cue.text) : undefined;
        if (quiz) onQuiz(quiz);
      };
      player.addEventListener(TEXT_METADATA_CUE, listener);
      return () => player.removeEventListener(TEXT_METADATA_CUE, listener);
    },
  };
}

/**
 * Quizzes from server-sent events (the local IVS): each `metadata` event's data is the accepted PutMetadata
 * record, whose `metadata` is the payload. The stream first repeats what the channel had, so old quizzes
 * arrive too; the page ignores those past their deadline.
 */
export function eventSourceFeed(url: string): QuizFeed {
  return {
    subscribe(onQuiz) {
      const source = new EventSource(url);
      source.addEventListener('metadata', (e) => {
        let record: unknown;
        try {
          record = JSON.parse((e as unknown as { data: string }).data);
        } catch {
          return;
        }
        const text = (record as { metadata?: unknown } | null)?.metadata;
        const quiz = typeof text === 'string' ? parseQuiz(text) : undefined;
        if (quiz) onQuiz(quiz);
      });
      return () => source.close();
    },
  };
}

/**
 * The channel id in a playback URL: the local IVS's `/hls/{channelId}/index.m3u8`, IVS's
 * `.../channel.{channelId}.m3u8`.
 */
export function channelIdOf(playbackUrl: string): string | undefined {
  const path = new URL(playbackUrl).pathname;
  return /\/hls\/([A-Za-z0-9]+)\//.exec(path)?.[1] ?? /channel\.([A-Za-z0-9]+)\.m3u8$/.exec(path)?.[1];
}

/** The feed the runtime config names: the player's cues, or the local IVS's events for this channel. */
export function quizFeedFor(
  config: LiveClientConfig['quizFeed'],
  playbackUrl: string,
  player: CueSource | undefined,
): QuizFeed | undefined {
  if (config.kind === 'timed-metadata') return player ? ivsPlayerFeed(player) : undefined;
  const channelId = channelIdOf(playbackUrl);
  // The events are the channel's as much as its picture: the local IVS asks for the same playback token.
  const token = new URL(playbackUrl).search;
  return channelId ? eventSourceFeed(`${config.url.replace('{channelId}', channelId)}${token}`) : undefined;
}
