import type { FastifyRateLimitStore, FastifyRateLimitStoreCtor } from '@fastify/rate-limit'

type Window = { count: number; resetAt: number }

/**
 * A fixed-window counter store for @fastify/rate-limit that reads the app's clock (so tests can
 * move time) instead of Date.now. Counts live in this process's memory: with several cluster
 * workers each worker counts on its own (see the README, "Rate limits").
 *
 * Every window has the same length, so the Map's insertion order is also the order in which
 * windows end: expired entries are dropped from the front as new windows open, and memory holds
 * only the clients seen in the current window, at most `capacity` of them (past that, the
 * oldest window is forgotten, which can only err in the client's favour).
 */
export function windowStore(clock: () => number, windowMs: number, capacity = 100_000): FastifyRateLimitStoreCtor {
  const windows = new Map<string, Window>()

  function open(key: string, now: number): Window {
    for (const [oldKey, old] of windows) {
      if (old.resetAt > now && windows.size < capacity) break
      windows.delete(oldKey)
    }
    const window = { count: 0, resetAt: now + windowMs }
    windows.set(key, window)
    return window
  }

  return class WindowStore implements FastifyRateLimitStore {
    incr(key: string, callback: (error: Error | null, result?: { current: number; ttl: number }) => void) {
      const now = clock()
      let window = windows.get(key)
      if (window === undefined || window.resetAt <= now) {
        windows.delete(key)
        window = open(key, now)
      }
      window.count += 1
      callback(null, { current: window.count, ttl: window.resetAt - now })
    }

    child() {
      return this
    }
  }
}
