import { and, asc, eq, isNull, sql } from 'drizzle-orm'
import type { DbOrTx } from '../../db/client.js'
import { apiKeys, type KeyScope } from '../../db/schema.js'

export type ApiKeyRow = typeof apiKeys.$inferSelect

export function createKeysRepository(db: DbOrTx) {
  const byHash = db
    .select()
    .from(apiKeys)
    .where(eq(apiKeys.hash, sql.placeholder('hash')))
    .prepare()
  const rateLimitById = db
    .select({ rateLimitMax: apiKeys.rateLimitMax })
    .from(apiKeys)
    .where(eq(apiKeys.id, sql.placeholder('id')))
    .prepare()

  return {
    insert(row: {
      id: string
      name: string
      scope: KeyScope
      hash: string
      prefix: string
      rateLimitMax?: number | null
      createdAt: number
    }) {
      return db.insert(apiKeys).values(row).returning().get()
    },
    findByHash(hash: string): ApiKeyRow | undefined {
      return byHash.get({ hash })
    },
    /** The key's own requests per rate-limit window; null: the global RATE_LIMIT_MAX. */
    rateLimitMax(id: string): number | null {
      return rateLimitById.get({ id })?.rateLimitMax ?? null
    },
    findById(id: string): ApiKeyRow | undefined {
      return db.select().from(apiKeys).where(eq(apiKeys.id, id)).get()
    },
    list(): ApiKeyRow[] {
      return db.select().from(apiKeys).orderBy(asc(apiKeys.createdAt), asc(apiKeys.id)).all()
    },
    countActive(): number {
      const row = db.select({ n: sql<number>`count(*)` }).from(apiKeys).where(isNull(apiKeys.revokedAt)).get()
      return row?.n ?? 0
    },
    revoke(id: string, at: number): ApiKeyRow | undefined {
      return db
        .update(apiKeys)
        .set({ revokedAt: at })
        .where(and(eq(apiKeys.id, id), isNull(apiKeys.revokedAt)))
        .returning()
        .get()
    },
    touch(id: string, at: number) {
      db.update(apiKeys).set({ lastUsedAt: at }).where(eq(apiKeys.id, id)).run()
    },
  }
}

export type KeysRepository = ReturnType<typeof createKeysRepository>
