import { and, inArray, lte, type SQL } from 'drizzle-orm'
import { articles } from '../../db/schema.js'
import { canSeeUnpublished, type Viewer } from '../../http/auth.js'

/**
 * The one rule for what a caller may see, used by every read path. Anonymous readers and
 * read-only keys see published and archived articles whose publication time has come; keys with
 * the write scope see everything. `undefined` means "no restriction".
 *
 * Published and archived rows always have a publishedAt, so sort_at equals it there and the
 * time test runs on the list index.
 */
export function visibleTo(viewer: Viewer, now: number): SQL | undefined {
  if (canSeeUnpublished(viewer)) return undefined
  return and(inArray(articles.status, ['published', 'archived']), lte(articles.sortAt, now))
}
