import { quizMetadata } from '#contracts/live';
import {
  channelIdOf,
  type CueSource,
  parseQuiz,
  quizFeedFor,
  TEXT_METADATA_CUE,
} from '../../web/src/screens/live/quiz-feed';

/*
 * The quiz feed of the live page: the payload the live domain puts on the channel (quizMetadata), read back
 * from the IVS player's cues (AWS) or the local IVS's server-sent events, the feed chosen by config.json.
 */

const quizId = '6f1c2a36-7a47-4d7e-9d5e-0b8a1f3f2a10';
const payload = quizMetadata(quizId, { question: 'Forks checked?', options: ['Yes', 'No'] }, new Date(2e12));
const expected = { v: 1, t: 'quiz', id: quizId, q: 'Forks checked?', o: ['Yes', 'No'], d: 2e9 };

/** The player's cue events, as amazon-ivs-player dispatches them. */
class FakePlayer implements CueSource {
  readonly listeners = new Map<string, Set<(cue: { text?: string }) => void>>();
  addEventListener(type: string, l: (cue: { text?: string }) => void) {
    this.listeners.set(type, (this.listeners.get(type) ?? new Set()).add(l));
  }
  removeEventListener(type: string, l: (cue: { text?: string }) => void) {
    this.listeners.get(type)?.delete(l);
  }
  cue(text: string) {
    for (const l of this.listeners.get(TEXT_METADATA_CUE) ?? []) l({ text });
  }
}

/** Node has no EventSource: a stand-in that records its URL and lets the test push events. */
class FakeEventSource {
  static last: FakeEventSource | undefined;
  closed = false;
  readonly handlers = new Map<string, (e: { data: string }) => void>();
  constructor(readonly url: string) {
    FakeEventSource.last = this;
  }
  addEventListener(type: string, h: (e: { data: string }) => void) {
    this.handlers.set(type, h);
  }
  close() {
    this.closed = true;
  }
  emit(type: string, data: string) {
    this.handlers.get(type)?.({ data });
  }
}

describe('the quiz feed', () => {
  it('reads the live domain’s quiz payload and nothing else', () => {
    expect(parseQuiz(payload)).toEqual(expected);
    for (const other of [
      'not json',
      'null',
      '{"v":2,"t":"quiz"}',
      JSON.stringify({ ...expected, o: ['only one'] }),
      JSON.stringify({ ...expected, d: 'soon' }),
      JSON.stringify({ ...expected, t: 'poll' }),
    ])
      expect(parseQuiz(other)).toBeUndefined();
  });

  it('finds the channel id in the local IVS’s playback URL and in IVS’s', () => {
    expect(channelIdOf('http://127.0.0.1:4100/hls/AbC123xyz/index.m3u8?token=t')).toBe('AbC123xyz');
    expect(
      channelIdOf(
        'https://fcc3ddae59ed.us-west-2.playback.live-video.net/api/video/v1/us-west-2.893648527354.channel.DmumNckWFTqz.m3u8',
      ),
    ).toBe('DmumNckWFTqz');
  });

  it('takes quizzes from the player’s timed-metadata cues in AWS, until unsubscribed', () => {
    const player = new FakePlayer();
    const feed = quizFeedFor({ kind: 'timed-metadata' }, 'https://x.live-video.net/a.m3u8', player)!;
    const heard: unknown[] = [];
    const stop = feed.subscribe((q) => heard.push(q));
    player.cue(payload);
    player.cue('{"something":"else"}');
    stop();
    player.cue(payload);
    expect(heard).toEqual([expected]);
    // Without a player there are no cues to read.
    expect(
      quizFeedFor({ kind: 'timed-metadata' }, 'https://x.live-video.net/a.m3u8', undefined),
    ).toBeUndefined();
  });

  it('takes quizzes from the local IVS’s events for the playback URL’s channel, with its token', () => {
    const saved = (globalThis as { EventSource?: unknown }).EventSource;
    (globalThis as { EventSource?: unknown }).EventSource = FakeEventSource;
    try {
      const feed = quizFeedFor(
        { kind: 'server-sent-events', url: 'http://127.0.0.1:4100/local/ivs/channels/{channelId}/metadata' },
        'http://127.0.0.1:4100/hls/AbC123xyz/index.m3u8?token=abc.def',
        undefined,
      )!;
      const heard: unknown[] = [];
      const stop = feed.subscribe((q) => heard.push(q));
      const source = FakeEventSource.last!;
      expect(source.url).toBe('http://127.0.0.1:4100/local/ivs/channels/AbC123xyz/metadata?token=abc.def');
      source.emit('metadata', JSON.stringify({ channelArn: 'arn', metadata: payload }));
      source.emit('metadata', JSON.stringify({ channelArn: 'arn', metadata: 'a caption' }));
      source.emit('metadata', 'broken');
      expect(heard).toEqual([expected]);
      stop();
      expect(source.closed).toBe(true);
    } finally {
      (globalThis as { EventSource?: unknown }).EventSource = saved;
    }
  });
});
