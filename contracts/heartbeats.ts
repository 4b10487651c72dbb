/**
 * How often a watching learner's page tells the server it is still there. The player and the live page send
 * at these cadences; the platform's API throttle is sized from them (`apiThrottleFor` in the config).
 */
export const HEARTBEATS = {
  /** A video being played: often enough that progress lost to a closed tab is a few seconds at most. */
  videoSeconds: 15,
  /** A live lecture's open page: presence is credited per minute, so two beats a minute suffice. */
  liveSeconds: 30,
} as const;
