import { eq, isNull, sql } from 'drizzle-orm'
import type { DbOrTx } from '../../db/client.js'
import { keyset } from '../../db/keyset.js'
import { articleEvents, webhooks } from '../../db/schema.js'
import type { Seek } from '../../http/pagination.js'

export type WebhookRow = typeof webhooks.$inferSelect
export type FeedCursor = { effectiveAt: number; seq: number; maxSeq: number }

export function createWebhooksRepository(db: DbOrTx) {
  return {
    insert(row: typeof webhooks.$inferInsert): WebhookRow {
      return db.insert(webhooks).values(row).returning().get()
    },

    find(id: string): WebhookRow | undefined {
      return db.select().from(webhooks).where(eq(webhooks.id, id)).get()
    },

    /** Oldest first, a page at a time. */
    list(limit: number, seek: Seek | undefined): WebhookRow[] {
      const page = keyset([webhooks.createdAt, webhooks.id], seek, 'asc')
      return db
        .select()
        .from(webhooks)
        .where(page.where)
        .orderBy(...page.orderBy)
        .limit(limit)
        .all()
    },

    update(id: string, changes: Partial<typeof webhooks.$inferInsert>): WebhookRow {
      return db.update(webhooks).set(changes).where(eq(webhooks.id, id)).returning().get()
    },

    delete(id: string) {
      db.delete(webhooks).where(eq(webhooks.id, id)).run()
    },

    enabled(): WebhookRow[] {
      return db.select().from(webhooks).where(isNull(webhooks.disabledAt)).all()
    },

    /** Moves the webhook's position in the change feed (the dispatcher's columns only). */
    advance(id: string, cursor: FeedCursor) {
      db.update(webhooks)
        .set({ cursorEffectiveAt: cursor.effectiveAt, cursorSeq: cursor.seq, cursorMaxSeq: cursor.maxSeq })
        .where(eq(webhooks.id, id))
        .run()
    },

    /** The end of the change feed as of `now`: where a new (or re-enabled) webhook starts. */
    feedEnd(now: number): FeedCursor {
      const row = db.select({ max: sql<number | null>`max(${articleEvents.seq})` }).from(articleEvents).get()
      const maxSeq = row?.max ?? 0
      return { effectiveAt: now, seq: maxSeq, maxSeq }
    },
  }
}

export type WebhooksRepository = ReturnType<typeof createWebhooksRepository>
