const SECOND = 1000
const HOUR = 60 * 60 * SECOND

/** Retries: 30 s doubling per attempt, capped at an hour, with full jitter; none 24 hours after queueing. */
export const RETRY = { baseMs: 30 * SECOND, capMs: HOUR, minMs: SECOND, giveUpAfterMs: 24 * HOUR }

/**
 * The wait before the next attempt, after `attempts` failed ones: a random time up to
 * min(cap, base * 2^(attempts - 1)) ("full jitter"), so that receivers coming back from an
 * outage are not hit by every sender at once; at least a second.
 */
export function retryDelay(attempts: number, random: () => number = Math.random): number {
  const ceiling = Math.min(RETRY.capMs, RETRY.baseMs * 2 ** Math.max(0, attempts - 1))
  return Math.max(RETRY.minMs, Math.floor(random() * ceiling))
}
