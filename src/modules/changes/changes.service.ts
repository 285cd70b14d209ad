import type { Deps } from '../../deps.js'
import { decodeCursor, encodeCursor } from '../../http/pagination.js'
import { gone } from '../../http/errors.js'
import { createArticlesRepository } from '../articles/articles.repository.js'
import { absenceReason, publicListFrom } from '../articles/visibility.js'
import { createChangesRepository, type ChangeEvent, type FeedPosition } from './changes.repository.js'
import { DAY_MS } from '../../time.js'
import { iso } from '../../http/schemas.js'

const CURSOR_PRINT = 'changes'

/**
 * GET /v1/changes: the public article list as a stream of upserts and removes, resumable from
 * any cursor it handed out. Applying every event in order yields exactly the set (and versions)
 * an anonymous walk of GET /v1/articles returns.
 */
export function createChangesService({ db, clock, config }: Deps) {
  const changes = createChangesRepository(db)
  const articles = createArticlesRepository(db)
  const retention = config.changesRetentionDays * DAY_MS

  function position(since: string | undefined, now: number): FeedPosition | undefined {
    if (since === undefined) return undefined
    const { key } = decodeCursor(since, CURSOR_PRINT, 2)
    const [effectiveAt, seq] = key as [number, number]
    if (effectiveAt < now - retention) {
      throw gone(
        `This cursor is older than the ${config.changesRetentionDays} days removals are kept for, so some may be missed. Resync: take a full GET /v1/export, then follow the change feed from its start (no since).`,
        { resync: '/v1/export' },
      )
    }
    return { effectiveAt, seq }
  }

  /** An upsert carries the article as it is now; one no longer public is reported as removed. */
  function render(events: ChangeEvent[], now: number) {
    const upserts = events.filter((e) => e.type === 'upsert').map((e) => e.articleId)
    const rows = new Map(articles.rowsByIds(upserts).map((row) => [row.id, row]))
    const visible = [...rows.values()].filter((row) => {
      const from = publicListFrom(row)
      return from !== null && from <= now
    })
    const rendered = new Map(articles.toArticles(visible, now).map((a) => [a.id, a]))
    return events.map((event) => {
      const base = { seq: event.seq, articleId: event.articleId, at: iso(event.effectiveAt) }
      const article = event.type === 'upsert' ? rendered.get(event.articleId) : undefined
      if (article) return { ...base, type: 'upsert' as const, version: article.version, article }
      const row = rows.get(event.articleId)
      const reason = event.reason ?? (row ? absenceReason(row, now) : 'deleted')
      return { ...base, type: 'remove' as const, version: row?.version ?? event.version, reason }
    })
  }

  return {
    read(since: string | undefined, limit: number) {
      const now = clock()
      const after = position(since, now)
      const events = changes.page(after, now, limit + 1)
      const page = events.slice(0, limit)
      const last = page.at(-1)
      const nextCursor = last ? encodeCursor([last.effectiveAt, last.seq], 'next', CURSOR_PRINT) : (since ?? null)
      return { data: render(page, now), meta: { limit, nextCursor, hasMore: events.length > limit } }
    },

    /** Forgets removals older than the retention period (cursors older than that get a 410). */
    prune(): number {
      return changes.pruneRemovals(clock() - retention)
    },
  }
}

export type ChangesService = ReturnType<typeof createChangesService>
