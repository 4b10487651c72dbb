/*
 * When the video origin refuses the stream, the signed cookies are most likely no longer good: they lapsed (a
 * laptop asleep past the scheduled renewal), or the key that signed them is no longer trusted (a signing key
 * rotated or replaced since). New cookies from the API are signed with the key it uses now, so the player renews
 * them and loads again, once: refused again before any part of the stream arrived, a renewal does not help, and
 * the player says so instead of asking the API in a loop.
 */

export interface PlaybackRenewalActions {
  /** Asks the API for new cookies (and schedules their own renewal). */
  readonly renew: () => Promise<void>;
  /** Loads the stream again where it stopped. */
  readonly reload: () => void;
  /** Shows that the video cannot be played: the renewal's own failure, or none when the retry was refused. */
  readonly giveUp: (error?: unknown) => void;
}

export interface PlaybackRenewal {
  /** The origin refused a request of the stream. */
  refused(): void;
  /** A part of the stream arrived: a later refusal is a new one, worth a renewal of its own. */
  loaded(): void;
}

export function playbackRenewal({ renew, reload, giveUp }: PlaybackRenewalActions): PlaybackRenewal {
  // `renewing` while the API is asked (the other requests refused meanwhile need no renewal of their own);
  // `retried` from the reload until a part of the stream arrives.
  let state: 'idle' | 'renewing' | 'retried' = 'idle';
  return {
    refused() {
      if (state === 'renewing') return;
      if (state === 'retried') {
        state = 'idle';
        return giveUp();
      }
      state = 'renewing';
      renew().then(
        () => {
          state = 'retried';
          reload();
        },
        (e: unknown) => {
          state = 'idle';
          giveUp(e);
        },
      );
    },
    loaded() {
      if (state === 'retried') state = 'idle';
    },
  };
}
