import { sql, type Placeholder, type SQL, type SQLWrapper } from 'drizzle-orm'
import type { SQLiteColumn } from 'drizzle-orm/sqlite-core'

// Hot reads are prepared once (`.prepare()` with `sql.placeholder`) instead of being rebuilt by
// the query builder on every request, which bench/ measured at about three times the cost of
// running the prepared statement.

/** A value made on first use, then kept: a statement prepared once per repository, when first needed. */
export function once<T>(make: () => T): () => T {
  let value: T | undefined
  return () => (value ??= make())
}

/**
 * `column IN (the members of a JSON array)`: one statement whatever the number of ids. Pass the
 * JSON text, or a placeholder for it (`sql.placeholder('ids')`, given `JSON.stringify(ids)` when
 * run). SQLite probes the column's index once per member, as it would for a literal IN list.
 */
export const inJsonArray = (column: SQLiteColumn, ids: string | Placeholder): SQL =>
  sql`${column} in (select value from json_each(${ids}))`

/**
 * A column as a term SQLite may seek or bound an index range with, or, written with a unary
 * plus, one it only tests row by row: the same rows either way. Without statistics SQLite
 * cannot tell which of several usable terms is the narrow one, and it bounds a range by the
 * first bound it meets; the callers decide instead (list-sql.ts, visibility.ts).
 */
export const onIndex = (column: SQLiteColumn, indexed: boolean): SQLWrapper => (indexed ? column : sql`+${column}`)
