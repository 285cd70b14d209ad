import { and, eq, lt, sql } from 'drizzle-orm'
import type { DbOrTx } from '../db/client.js'
import { idempotencyKeys } from '../db/schema.js'

export type IdempotencyRecord = typeof idempotencyKeys.$inferSelect
export type StoredResponse = { statusCode: number; headers: Record<string, string>; body: string | null }

const ours = (owner: string, key: string) =>
  and(eq(idempotencyKeys.owner, owner), eq(idempotencyKeys.key, key), eq(idempotencyKeys.state, 'running'))

/** Idempotency records: one per (API key, Idempotency-Key), running until its response is stored. */
export function createIdempotencyRepository(db: DbOrTx) {
  const find = db
    .select()
    .from(idempotencyKeys)
    .where(and(eq(idempotencyKeys.owner, sql.placeholder('owner')), eq(idempotencyKeys.key, sql.placeholder('key'))))
    .prepare()

  return {
    find: (owner: string, key: string): IdempotencyRecord | undefined => find.get({ owner, key }),

    /** Records a running request; false when (owner, key) already has a record. */
    start(row: { owner: string; key: string; fingerprint: string; createdAt: number }): boolean {
      const result = db
        .insert(idempotencyKeys)
        .values({ ...row, state: 'running' })
        .onConflictDoNothing()
        .run()
      return result.changes === 1
    },

    /** Forgets every record created before `cutoff` (ms since the epoch). */
    purgeBefore: (cutoff: number) => db.delete(idempotencyKeys).where(lt(idempotencyKeys.createdAt, cutoff)).run(),

    complete(owner: string, key: string, response: StoredResponse) {
      db.update(idempotencyKeys)
        .set({ state: 'done', ...response })
        .where(ours(owner, key))
        .run()
    },

    /** Removes a record that never got a response, so the client may retry. */
    abandon: (owner: string, key: string) => db.delete(idempotencyKeys).where(ours(owner, key)).run(),
  }
}

export type IdempotencyRepository = ReturnType<typeof createIdempotencyRepository>
