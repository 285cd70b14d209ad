import { eq, inArray, or, sql } from 'drizzle-orm'
import type { DbOrTx } from '../../db/client.js'
import { tags } from '../../db/schema.js'
import { iso } from '../../http/schemas.js'
import type { Seek } from '../../http/pagination.js'
import { keyset } from '../../db/keyset.js'
import { articleCounts, catalogOrder, type CatalogListOptions, type Counted } from '../catalog-list.js'
import type { Tag } from './tags.schemas.js'

type Row = typeof tags.$inferSelect

export const toTag = (row: Row): Tag => ({
  id: row.id,
  slug: row.slug,
  name: row.name,
  kind: row.kind,
  description: row.description,
  createdAt: iso(row.createdAt),
  updatedAt: iso(row.updatedAt),
  version: row.version,
})

export function createTagsRepository(db: DbOrTx) {
  return {
    find(idOrSlug: string): Tag | undefined {
      const row = db
        .select()
        .from(tags)
        .where(or(eq(tags.id, idOrSlug), eq(tags.slug, idOrSlug)))
        .get()
      return row && toTag(row)
    },
    /** Every tag whose id or slug is among `refs`. */
    findMany(refs: readonly string[]): Tag[] {
      if (refs.length === 0) return []
      return db
        .select()
        .from(tags)
        .where(or(inArray(tags.id, [...refs]), inArray(tags.slug, [...refs])))
        .all()
        .map(toTag)
    },
    slugTaken(slug: string): boolean {
      return db.select({ id: tags.id }).from(tags).where(eq(tags.slug, slug)).get() !== undefined
    },
    /** By name (or by visible article count, then name), optionally with those counts. */
    list(limit: number, seek: Seek | undefined, options: CatalogListOptions): Counted<Tag>[] {
      if (!options.counts) {
        const page = keyset([tags.name, tags.id], seek, 'asc')
        return db.select().from(tags).where(page.where).orderBy(...page.orderBy).limit(limit).all().map(toTag)
      }
      const counts = articleCounts(db, 'tag', options.counts)
      const articleCount = counts.articleCount
      const page = keyset(catalogOrder(options.sort, articleCount, tags), seek, 'asc')
      return db
        .select({ row: tags, articleCount })
        .from(tags)
        .leftJoin(counts.table, sql`${counts.id} = ${tags.id}`)
        .where(page.where)
        .orderBy(...page.orderBy)
        .limit(limit)
        .all()
        .map(({ row, articleCount }) => ({ ...toTag(row), articleCount }))
    },
    insert(row: typeof tags.$inferInsert): Tag {
      return toTag(db.insert(tags).values(row).returning().get())
    },
    update(id: string, changes: Partial<typeof tags.$inferInsert>): Tag {
      return toTag(db.update(tags).set(changes).where(eq(tags.id, id)).returning().get())
    },
    delete(id: string) {
      db.delete(tags).where(eq(tags.id, id)).run()
    },
  }
}
