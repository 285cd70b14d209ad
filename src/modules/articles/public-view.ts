import { and, eq, gt, min, sql } from 'drizzle-orm'
import type { Db } from '../../db/client.js'
import { articles, contentGeneration } from '../../db/schema.js'

/**
 * A token for "what readers without the write scope can see": equal tokens mean equal public
 * responses, so the response cache (http/response-cache.ts) may answer from what it stored.
 *
 * Two things change that view:
 * - a committed write to articles, tags or sources, in this process or another one: triggers
 *   count them in content_generation (migration 0007), read here on every call, a one-row
 *   primary-key read;
 * - the clock, when it reaches the publication time of a scheduled article or the end of an
 *   embargo (visibility.ts decides visibility from the clock at read time). The earliest such
 *   time ahead is looked up once per generation, from the list index and the embargo index;
 *   when it passes, the token moves on and the next one is looked up.
 */
export function createPublicView(db: Db, clock: () => number) {
  const generationNow = db
    .select({ n: contentGeneration.n })
    .from(contentGeneration)
    .where(eq(contentGeneration.id, 1))
    .prepare()
  // Each reads the first entry past `now` of one index (status, sort_at / embargoed_until).
  // Deleted rows are not excluded: an extra turn of the token costs a cache miss, nothing more.
  const nextPublication = (status: 'published' | 'archived') =>
    db
      .select({ at: min(articles.sortAt) })
      .from(articles)
      .where(and(eq(articles.status, status), gt(articles.sortAt, sql.placeholder('now'))))
      .prepare()
  const nextPublished = nextPublication('published')
  const nextArchived = nextPublication('archived')
  const nextEmbargoEnd = db
    .select({ at: min(articles.embargoedUntil) })
    .from(articles)
    .where(gt(articles.embargoedUntil, sql.placeholder('now')))
    .prepare()

  function nextChangeAfter(now: number): number {
    const times = [nextPublished, nextArchived, nextEmbargoEnd].map((q) => q.get({ now })?.at ?? Number.POSITIVE_INFINITY)
    return Math.min(...times)
  }

  let generation = -1
  let since = 0
  let until = Number.NEGATIVE_INFINITY

  return {
    /** `<generation>:<start of the current stretch of time>`. */
    token(): string {
      const now = clock()
      const current = generationNow.get()?.n ?? 0
      // A clock set back (tests do) starts a new stretch too.
      if (current !== generation || now >= until || now < since) {
        generation = current
        since = now
        until = nextChangeAfter(now)
      }
      return `${generation}:${since}`
    },
  }
}

export type PublicView = ReturnType<typeof createPublicView>
