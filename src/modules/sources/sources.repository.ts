import { eq, inArray, or, sql } from 'drizzle-orm'
import type { DbOrTx } from '../../db/client.js'
import { articles, sources } from '../../db/schema.js'
import { iso } from '../../http/schemas.js'
import type { Seek } from '../../http/pagination.js'
import { keyset } from '../../db/keyset.js'
import { articleCounts, catalogOrder, type CatalogListOptions, type Counted } from '../catalog-list.js'
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
    /** Every source whose slug is among `slugs`. */
    findMany(slugs: readonly string[]): Source[] {
      if (slugs.length === 0) return []
      return db.select().from(sources).where(inArray(sources.slug, [...slugs])).all().map(toSource)
    },
    slugTaken(slug: string): boolean {
      return db.select({ id: sources.id }).from(sources).where(eq(sources.slug, slug)).get() !== undefined
    },
    /** By name (or by visible article count, then name), optionally with those counts. */
    list(limit: number, seek: Seek | undefined, options: CatalogListOptions): Counted<Source>[] {
      if (!options.counts) {
        const page = keyset([sources.name, sources.id], seek, 'asc')
        return db.select().from(sources).where(page.where).orderBy(...page.orderBy).limit(limit).all().map(toSource)
      }
      const counts = articleCounts(db, 'source', options.counts)
      const articleCount = counts.articleCount
      const page = keyset(catalogOrder(options.sort, articleCount, sources), seek, 'asc')
      return db
        .select({ row: sources, articleCount })
        .from(sources)
        .leftJoin(counts.table, sql`${counts.id} = ${sources.id}`)
        .where(page.where)
        .orderBy(...page.orderBy)
        .limit(limit)
        .all()
        .map(({ row, articleCount }) => ({ ...toSource(row), articleCount }))
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
