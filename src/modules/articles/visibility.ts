import { and, inArray, isNull, lte, or, type Placeholder, type SQL } from 'drizzle-orm'
import { articles, type RemoveReason } from '../../db/schema.js'
import { canSeeUnpublished, type Viewer } from '../../http/auth.js'
import { onIndex } from './prepared.js'

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
export function visibleTo(viewer: Viewer, now: number | Placeholder, options: { timeIndexed?: boolean } = {}): SQL {
  const notDeleted = isNull(articles.deletedAt)
  if (canSeeUnpublished(viewer)) return notDeleted
  return and(
    notDeleted,
    inArray(articles.status, ['published', 'archived']),
    timeReached(now, options.timeIndexed ?? true),
    or(isNull(articles.embargoedUntil), lte(articles.embargoedUntil, now)),
  )!
}

/** `sort_at <= now`, on the index or off it (onIndex): where a cursor or a date range should bound the walk instead. */
export function timeReached(now: number | Placeholder, indexed: boolean): SQL {
  return lte(onIndex(articles.sortAt, indexed), now)
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

type ListedRow = { status: string; publishedAt: number | null; embargoedUntil: number | null; deletedAt: number | null }

/**
 * When an article enters the default public list (published, its time come, its embargo over,
 * not in the trash) by the clock alone, or null if no time will bring it there. The change
 * feed mirrors exactly that list.
 */
export function publicListFrom(row: ListedRow): number | null {
  if (row.deletedAt !== null || row.status !== 'published' || row.publishedAt === null) return null
  return Math.max(row.publishedAt, row.embargoedUntil ?? Number.NEGATIVE_INFINITY)
}

/** Why an article is not in the public list now. */
export function absenceReason(row: ListedRow, now: number): RemoveReason {
  if (row.deletedAt !== null) return 'deleted'
  if (row.status === 'withdrawn') return 'withdrawn'
  if (row.status === 'archived') return 'archived'
  if (row.status === 'published' && row.embargoedUntil !== null && row.embargoedUntil > now) return 'embargoed'
  return 'unpublished'
}
