import { sql, type SQL } from 'drizzle-orm'
import type { SQLiteColumn } from 'drizzle-orm/sqlite-core'
import { z } from 'zod'
import type { DbOrTx } from '../db/client.js'
import { canSeeUnpublished, type Viewer } from '../http/auth.js'
import { PageQuerySchema } from '../http/schemas.js'
import { createListCounts } from './articles/list-counts.js'

/** Tags and sources can carry how many visible articles use them, and be sorted by it. */
export const CatalogListQuerySchema = PageQuerySchema.extend({
  withCounts: z.stringbool().default(false).describe('Add articleCount: published articles you can see.'),
  sort: z.enum(['name', 'count']).default('name').describe('name (default), or count: most articles first.'),
})
export type CatalogListQuery = z.infer<typeof CatalogListQuerySchema>

export type CatalogListOptions = {
  sort: 'name' | 'count'
  /** Count the published articles the caller can see at `now` (embargoed ones too for write keys); absent: no counts. */
  counts?: { now: number; embargoHides: boolean }
}

export type Counted<T> = T & { articleCount?: number }

export const ArticleCountSchema = z.number().int().optional().describe('With withCounts=true or sort=count.')

/** The keyset order: by name, or by count descending (as its negation ascending) then name. */
export function catalogOrder(sort: 'name' | 'count', articleCount: SQL<number>, table: { name: SQLiteColumn; id: SQLiteColumn }) {
  return sort === 'count' ? [sql`-${articleCount}`, table.name, table.id] : [table.name, table.id]
}

/** The cursor key of a row in that order. */
export function catalogKey(sort: 'name' | 'count', row: Counted<{ id: string; name: string }>) {
  return sort === 'count' ? [-(row.articleCount ?? 0), row.name, row.id] : [row.name, row.id]
}

export function catalogListOptions(query: CatalogListQuery, viewer: Viewer, now: number): CatalogListOptions {
  const counted = query.withCounts || query.sort === 'count'
  return { sort: query.sort, ...(counted ? { counts: { now, embargoHides: !canSeeUnpublished(viewer) } } : {}) }
}

/**
 * The counts of a tag or source list, to LEFT JOIN on `id` = the tag's or source's id: from
 * list_counts, less the articles the caller cannot see yet (list-counts.ts). Counting the
 * articles themselves walked every published one: 0.4-0.5 s for the tags at 100,000 articles.
 */
export function articleCounts(db: DbOrTx, facet: 'tag' | 'source', counts: NonNullable<CatalogListOptions['counts']>) {
  const counted = createListCounts(db).countedBy(facet, counts.now, counts.embargoHides)
  return { table: sql`(${counted}) AS counts`, id: sql`counts.id`, articleCount: sql<number>`coalesce(counts.count, 0)` }
}
