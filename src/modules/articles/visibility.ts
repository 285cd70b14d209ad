import { and, inArray, isNull, lte, or, type SQL } from 'drizzle-orm'
import { articles } from '../../db/schema.js'
import { canSeeUnpublished, type Viewer } from '../../http/auth.js'

/**
 * The one rule for what a caller may see, used by every read path (get, list, search, counts,
 * facets, related, feeds, changes). Computed from the clock at read time, never by a job, so a
 * scheduled or embargoed article appears exactly when its time comes.
 *
 * Nobody reads the trash through lists. Anonymous readers and read-only keys see published and
 * archived articles whose publication time has come and whose embargo (if any) has ended; keys
 * with the write scope see every state.
 *
 * Published and archived rows always have a publishedAt, so sort_at equals it there and the
 * time test runs on the list index.
 */
export function visibleTo(viewer: Viewer, now: number): SQL {
  const notDeleted = isNull(articles.deletedAt)
  if (canSeeUnpublished(viewer)) return notDeleted
  return and(
    notDeleted,
    inArray(articles.status, ['published', 'archived']),
    lte(articles.sortAt, now),
    or(isNull(articles.embargoedUntil), lte(articles.embargoedUntil, now)),
  )!
}

/** The same rule for one row already in hand. */
export function isVisible(
  row: { status: string; publishedAt: number | null; embargoedUntil: number | null; deletedAt: number | null },
  viewer: Viewer,
  now: number,
): boolean {
  if (row.deletedAt !== null) return false
  if (canSeeUnpublished(viewer)) return true
  return (
    (row.status === 'published' || row.status === 'archived') &&
    row.publishedAt !== null &&
    row.publishedAt <= now &&
    (row.embargoedUntil === null || row.embargoedUntil <= now)
  )
}
