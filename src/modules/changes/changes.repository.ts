import { and, asc, desc, eq, gt, lt, lte, sql } from 'drizzle-orm'
import type { DbOrTx } from '../../db/client.js'
import { articleEvents } from '../../db/schema.js'

export type ChangeEvent = typeof articleEvents.$inferSelect
export type FeedPosition = { effectiveAt: number; seq: number }

export function createChangesRepository(db: DbOrTx) {
  return {
    /** The newest event of an article that readers can already see. */
    latestEffective(articleId: string, now: number): ChangeEvent | undefined {
      return db
        .select()
        .from(articleEvents)
        .where(and(eq(articleEvents.articleId, articleId), lte(articleEvents.effectiveAt, now)))
        .orderBy(desc(articleEvents.effectiveAt), desc(articleEvents.seq))
        .limit(1)
        .get()
    },
    /** Events not yet readable are plans; a new write replaces them. */
    deleteFuture(articleId: string, now: number) {
      db.delete(articleEvents).where(and(eq(articleEvents.articleId, articleId), gt(articleEvents.effectiveAt, now))).run()
    },
    /** Compaction: once a newer state is recorded, older readable events of the article are moot. */
    deleteEffective(articleId: string, now: number) {
      db.delete(articleEvents).where(and(eq(articleEvents.articleId, articleId), lte(articleEvents.effectiveAt, now))).run()
    },
    insert(event: Omit<typeof articleEvents.$inferInsert, 'seq'>) {
      db.insert(articleEvents).values(event).run()
    },
    /** Readable events after a position, in feed order. */
    page(after: FeedPosition | undefined, now: number, limit: number): ChangeEvent[] {
      const position = after && sql`(${articleEvents.effectiveAt}, ${articleEvents.seq}) > (${after.effectiveAt}, ${after.seq})`
      return db
        .select()
        .from(articleEvents)
        .where(and(lte(articleEvents.effectiveAt, now), position))
        .orderBy(asc(articleEvents.effectiveAt), asc(articleEvents.seq))
        .limit(limit)
        .all()
    },
    /** Drops tombstones older than `cutoff`; returns how many. */
    pruneRemovals(cutoff: number): number {
      return db
        .delete(articleEvents)
        .where(and(eq(articleEvents.type, 'remove'), lt(articleEvents.effectiveAt, cutoff)))
        .run().changes
    },
  }
}
