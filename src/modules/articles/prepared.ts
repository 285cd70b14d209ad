import { sql, type Placeholder, type SQL } from 'drizzle-orm'
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
