import { and, desc, eq, gt, lte, sql } from 'drizzle-orm'
import type { DbOrTx } from '../../db/client.js'
import { articleEvents } from '../../db/schema.js'
import type { ArticleRow } from '../articles/articles.repository.js'
import { once } from '../articles/prepared.js'
import { absenceReason, publicListFrom } from '../articles/visibility.js'

const articleId = sql.placeholder('articleId')
const now = sql.placeholder('now')

/**
 * Brings the change feed in line with an article's current row; called in the same transaction
 * as every write to an article. The feed keeps, per article, the newest state readers can see
 * (an upsert, or a tombstone if they had seen it), plus at most one planned upsert for the time
 * a scheduled or embargoed article will go live.
 *
 * Its statements run on every write (and every imported line), so they are prepared once per
 * recorder: keep one per connection where writes are many (the articles service does).
 */
export function createChangeRecorder(db: DbOrTx) {
  const statements = {
    // Events not yet readable are plans; a new write replaces them.
    deleteFuture: once(() => db.delete(articleEvents).where(and(eq(articleEvents.articleId, articleId), gt(articleEvents.effectiveAt, now))).prepare()),
    // Compaction: once a newer state is recorded, older readable events of the article are moot.
    deleteEffective: once(() =>
      db.delete(articleEvents).where(and(eq(articleEvents.articleId, articleId), lte(articleEvents.effectiveAt, now))).prepare(),
    ),
    // The newest event of an article that readers can already see.
    latestEffectiveType: once(() =>
      db
        .select({ type: articleEvents.type })
        .from(articleEvents)
        .where(and(eq(articleEvents.articleId, articleId), lte(articleEvents.effectiveAt, now)))
        .orderBy(desc(articleEvents.effectiveAt), desc(articleEvents.seq))
        .limit(1)
        .prepare(),
    ),
    insert: once(() =>
      db
        .insert(articleEvents)
        .values({
          articleId,
          type: sql.placeholder('type'),
          reason: sql.placeholder('reason'),
          version: sql.placeholder('version'),
          entersList: sql.placeholder('entersList'),
          effectiveAt: sql.placeholder('effectiveAt'),
          createdAt: now,
        })
        .prepare(),
    ),
  }
  type Event = { type: 'upsert' | 'remove'; reason?: ReturnType<typeof absenceReason>; entersList?: boolean; effectiveAt: number }
  const insert = (row: ArticleRow, at: number, event: Event) =>
    statements.insert().run({ articleId: row.id, version: row.version, now: at, reason: null, entersList: false, ...event })

  /** `fresh`: the article was just created, so the feed has nothing of it yet to replace or look at. */
  return function recordChange(row: ArticleRow, at: number, { fresh = false } = {}) {
    const ids = { articleId: row.id, now: at }
    if (!fresh) statements.deleteFuture().run(ids)
    const from = publicListFrom(row)
    const listed = !fresh && statements.latestEffectiveType().get(ids)?.type === 'upsert'
    if (from !== null && from <= at) {
      if (!fresh) statements.deleteEffective().run(ids)
      insert(row, at, { type: 'upsert', entersList: !listed, effectiveAt: at })
      return
    }
    // Not listed now: readers who saw it must be told it went; others need not hear of it.
    if (listed) {
      statements.deleteEffective().run(ids)
      insert(row, at, { type: 'remove', reason: absenceReason(row, at), effectiveAt: at })
    }
    if (from !== null) insert(row, at, { type: 'upsert', entersList: true, effectiveAt: from })
  }
}

/** recordChange for a one-off write (a tag or source rename): statements prepared for this call only. */
export function recordChange(db: DbOrTx, row: ArticleRow, now: number) {
  createChangeRecorder(db)(row, now)
}
