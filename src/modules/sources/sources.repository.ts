import { eq, or, sql } from 'drizzle-orm'
import type { DbOrTx } from '../../db/client.js'
import { articles, sources } from '../../db/schema.js'
import { iso } from '../../http/schemas.js'
import type { Seek } from '../../http/pagination.js'
import { keyset } from '../../db/keyset.js'
import type { Source } from './sources.schemas.js'

type Row = typeof sources.$inferSelect

export const toSource = (row: Row): Source => ({
  id: row.id,
  slug: row.slug,
  name: row.name,
  url: row.url,
  description: row.description,
  createdAt: iso(row.createdAt),
  updatedAt: iso(row.updatedAt),
  version: row.version,
})

export function createSourcesRepository(db: DbOrTx) {
  return {
    find(idOrSlug: string): Source | undefined {
      const row = db
        .select()
        .from(sources)
        .where(or(eq(sources.id, idOrSlug), eq(sources.slug, idOrSlug)))
        .get()
      return row && toSource(row)
    },
    slugTaken(slug: string): boolean {
      return db.select({ id: sources.id }).from(sources).where(eq(sources.slug, slug)).get() !== undefined
    },
    /** By name, then id. */
    list(limit: number, seek: Seek | undefined): Source[] {
      const page = keyset([sources.name, sources.id], seek, 'asc')
      return db.select().from(sources).where(page.where).orderBy(...page.orderBy).limit(limit).all().map(toSource)
    },
    insert(row: typeof sources.$inferInsert): Source {
      return toSource(db.insert(sources).values(row).returning().get())
    },
    update(id: string, changes: Partial<typeof sources.$inferInsert>): Source {
      return toSource(db.update(sources).set(changes).where(eq(sources.id, id)).returning().get())
    },
    delete(id: string) {
      db.delete(sources).where(eq(sources.id, id)).run()
    },
    countArticles(id: string): number {
      return db.select({ n: sql<number>`count(*)` }).from(articles).where(eq(articles.sourceId, id)).get()?.n ?? 0
    },
  }
}
