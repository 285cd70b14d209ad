import { asc, desc, sql, type SQL } from 'drizzle-orm'
import type { SQLiteColumn } from 'drizzle-orm/sqlite-core'
import type { Seek } from '../http/pagination.js'

/**
 * Keyset pagination over a composite sort key (the last column must be unique, e.g. id): the
 * row-value comparison that resumes after (or before) the cursor, and the matching ORDER BY.
 * Seeking backwards reverses the order; the page helper flips the rows back.
 */
export function keyset(
  columns: (SQLiteColumn | SQL)[],
  // The key's values, or placeholders for them in a query prepared once (article-queries.ts).
  seek: { key: readonly unknown[]; direction: Seek['direction'] } | undefined,
  order: 'asc' | 'desc',
) {
  const backwards = seek?.direction === 'prev'
  const ascending = (order === 'asc') !== backwards
  const where: SQL | undefined = seek
    ? sql`(${sql.join(columns, sql`, `)}) ${ascending ? sql`>` : sql`<`} (${sql.join(
        seek.key.map((value) => sql`${value}`),
        sql`, `,
      )})`
    : undefined
  const orderBy = columns.map((column) => (ascending ? asc(column) : desc(column)))
  return { where, orderBy }
}
