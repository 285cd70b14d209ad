import { and, asc, eq, inArray, lt, ne, sql } from 'drizzle-orm'
import type { DbOrTx } from '../../db/client.js'
import { keyset } from '../../db/keyset.js'
import { webhookAttempts, webhookDeliveries, webhooks } from '../../db/schema.js'
import type { Seek } from '../../http/pagination.js'

export type DeliveryRow = typeof webhookDeliveries.$inferSelect
export type AttemptRow = typeof webhookAttempts.$inferSelect

/** Pending, due, and not leased by a live dispatcher (of any process), for an enabled webhook. */
const due = (now: number) => sql`${webhookDeliveries.status} = 'pending'
  AND ${webhookDeliveries.nextAttemptAt} <= ${now}
  AND (${webhookDeliveries.claimedUntil} IS NULL OR ${webhookDeliveries.claimedUntil} < ${now})
  AND ${webhookDeliveries.webhookId} IN (SELECT ${webhooks.id} FROM ${webhooks} WHERE ${webhooks.disabledAt} IS NULL)`

export type Claim = {
  now: number
  leaseUntil: number
  token: string
  /** At most this many rows in all. */
  limit: number
  /** At most this many rows of any one webhook. */
  perWebhook: number
  /** Webhooks this process is already busy with (their receivers are slow): skipped. */
  skip: string[]
}

export function createDeliveriesRepository(db: DbOrTx) {
  return {
    /** Adds a delivery unless the webhook already has one for this event; true if added. */
    insert(row: typeof webhookDeliveries.$inferInsert): boolean {
      return db.insert(webhookDeliveries).values(row).onConflictDoNothing().run().changes > 0
    },

    find(webhookId: string, id: string): DeliveryRow | undefined {
      return db
        .select()
        .from(webhookDeliveries)
        .where(and(eq(webhookDeliveries.webhookId, webhookId), eq(webhookDeliveries.id, id)))
        .get()
    },

    exists(id: string): boolean {
      return db.select({ id: webhookDeliveries.id }).from(webhookDeliveries).where(eq(webhookDeliveries.id, id)).get() !== undefined
    },

    /** Newest first: by creation time, then event. */
    page(webhookId: string, limit: number, seek: Seek | undefined): DeliveryRow[] {
      const page = keyset([webhookDeliveries.createdAt, webhookDeliveries.eventSeq], seek, 'desc')
      return db
        .select()
        .from(webhookDeliveries)
        .where(and(eq(webhookDeliveries.webhookId, webhookId), page.where))
        .orderBy(...page.orderBy)
        .limit(limit)
        .all()
    },

    /** Every attempt of these deliveries, oldest first, by delivery. */
    attemptsOf(ids: string[]): Map<string, AttemptRow[]> {
      const rows =
        ids.length === 0
          ? []
          : db.select().from(webhookAttempts).where(inArray(webhookAttempts.deliveryId, ids)).orderBy(asc(webhookAttempts.id)).all()
      const byDelivery = new Map<string, AttemptRow[]>()
      for (const row of rows) byDelivery.set(row.deliveryId, [...(byDelivery.get(row.deliveryId) ?? []), row])
      return byDelivery
    },

    /** A cheap read first, so that idle dispatchers never take the write lock. */
    anyDue(now: number): boolean {
      return db.select({ id: webhookDeliveries.id }).from(webhookDeliveries).where(due(now)).limit(1).get() !== undefined
    },

    /**
     * Leases due deliveries to one dispatcher in a single UPDATE ... RETURNING: SQLite runs one
     * writer at a time, so two processes can never claim the same row.
     */
    claim({ now, leaseUntil, token, limit, perWebhook, skip }: Claim): DeliveryRow[] {
      const skipped = skip.length === 0 ? sql`1` : sql`${webhookDeliveries.webhookId} NOT IN (${sql.join(skip.map((id) => sql`${id}`), sql`, `)})`
      const candidates = sql`SELECT id FROM (
          SELECT ${webhookDeliveries.id} AS id, ${webhookDeliveries.nextAttemptAt} AS due_at,
            row_number() OVER (PARTITION BY ${webhookDeliveries.webhookId} ORDER BY ${webhookDeliveries.nextAttemptAt}, ${webhookDeliveries.eventSeq}) AS n
          FROM ${webhookDeliveries} WHERE ${due(now)} AND ${skipped}
        ) WHERE n <= ${perWebhook} ORDER BY due_at LIMIT ${limit}`
      return db
        .update(webhookDeliveries)
        .set({ claimedUntil: leaseUntil, claimToken: token })
        .where(sql`${webhookDeliveries.id} IN (${candidates})`)
        .returning()
        .all()
    },

    /** Records the outcome, if this dispatcher still holds the lease; true if it did. */
    settle(id: string, token: string, changes: Partial<typeof webhookDeliveries.$inferInsert>): boolean {
      return (
        db
          .update(webhookDeliveries)
          .set({ ...changes, claimedUntil: null, claimToken: null })
          .where(and(eq(webhookDeliveries.id, id), eq(webhookDeliveries.claimToken, token)))
          .run().changes > 0
      )
    },

    logAttempt(row: typeof webhookAttempts.$inferInsert) {
      db.insert(webhookAttempts).values(row).run()
    },

    /** Queues a delivery again, due now, with a fresh attempt budget; its attempts stay listed. */
    requeue(webhookId: string, id: string, now: number): DeliveryRow | undefined {
      return db
        .update(webhookDeliveries)
        .set({ status: 'pending', attempts: 0, nextAttemptAt: now, queuedAt: now, deliveredAt: null, claimedUntil: null, claimToken: null })
        .where(and(eq(webhookDeliveries.webhookId, webhookId), eq(webhookDeliveries.id, id)))
        .returning()
        .get()
    },

    /** Forgets finished deliveries created before `cutoff`; returns how many. */
    prune(cutoff: number): number {
      return db
        .delete(webhookDeliveries)
        .where(and(ne(webhookDeliveries.status, 'pending'), lt(webhookDeliveries.createdAt, cutoff)))
        .run().changes
    },
  }
}

export type DeliveriesRepository = ReturnType<typeof createDeliveriesRepository>
