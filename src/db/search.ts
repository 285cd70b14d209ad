import { sql, type Placeholder } from 'drizzle-orm'
import { integer, sqliteTable, text } from 'drizzle-orm/sqlite-core'

/**
 * The FTS5 index over articles (migrations/0001_search.sql). Declared here, outside schema.ts,
 * so drizzle-kit never tries to manage a virtual table; queries use it like any table.
 */
export const articlesFts = sqliteTable('articles_fts', {
  rowid: integer('rowid').notNull(),
  headline: text('headline'),
  summary: text('summary'),
  bodyText: text('body_text'),
})

/** BM25 with the headline weighted above the summary, and the summary above the body. */
export const searchRank = sql<number>`bm25(articles_fts, 10.0, 4.0, 1.0)`

export const matches = (expression: string | Placeholder) => sql`${articlesFts} match ${expression}`
