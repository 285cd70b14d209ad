import { sql, type Placeholder } from 'drizzle-orm'
import { integer, sqliteTable, text } from 'drizzle-orm/sqlite-core'
import type { Db } from './client.js'

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

/**
 * Runs `write` (inside the caller's transaction) with the search index deferred, then indexes
 * every article it inserted, updated or deleted in one statement each (migration 0008). FTS5
 * writes a new segment at every statement that writes it, so per-row triggers cost several
 * times what one INSERT ... SELECT per batch does. If `write` throws, the caller's transaction
 * rolls back, the flag with it: no other connection ever sees it set. Nested calls index once,
 * at the end of the outermost.
 */
export function withSearchIndexDeferred<T>(db: Db, write: () => T): T {
  if (!db.$client.inTransaction) throw new Error('withSearchIndexDeferred needs a transaction')
  const outermost = db.run(sql`insert or ignore into articles_fts_deferred (id) values (1)`).changes === 1
  const result = write()
  if (outermost) {
    // Rows the index holds with old values go first (an external-content delete needs them),
    // then every row still in articles is indexed as it is now, in rowid order as FTS5 likes.
    db.run(sql`insert into articles_fts (articles_fts, rowid, headline, summary, body_text)
      select 'delete', doc_id, headline, summary, body_text from articles_fts_pending where indexed = 1 order by doc_id`)
    db.run(sql`insert into articles_fts (rowid, headline, summary, body_text)
      select a.doc_id, a.headline, a.summary, a.body_text from articles_fts_pending p cross join articles a on a.doc_id = p.doc_id order by p.doc_id`)
    db.run(sql`delete from articles_fts_pending`)
    db.run(sql`delete from articles_fts_deferred`)
  }
  return result
}
