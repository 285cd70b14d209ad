import { and, asc, eq, lt, lte, sql } from 'drizzle-orm'
import type { DbOrTx } from '../../db/client.js'
import { articleEvents, articleRevisions } from '../../db/schema.js'
import { publicListFrom } from '../articles/visibility.js'

export type ChangeEvent = typeof articleEvents.$inferSelect
export type FeedPosition = { effectiveAt: number; seq: number }

/** The fields of a revision snapshot (an article representation) that decide whether it was listed. */
type ListingFields = { id: string; status: string | null; publishedAt: string | null; embargoedUntil: string | null; deletedAt: string | null }
const time = (value: string | null) => (value === null ? null : Date.parse(value))

/** Whether a snapshot was in the public list at `at` (a scheduled one is published with a future time). */
function listedAt(snapshot: ListingFields, at: number): boolean {
  const status = snapshot.status === 'scheduled' ? 'published' : (snapshot.status ?? 'draft')
  const from = publicListFrom({
    status,
    publishedAt: time(snapshot.publishedAt),
    embargoedUntil: time(snapshot.embargoedUntil),
    deletedAt: time(snapshot.deletedAt),
  })
  return from !== null && from <= at
}

export function createChangesRepository(db: DbOrTx) {
  return {
    /** Readable events after a position, in feed order. */
    page(after: FeedPosition | undefined, now: number, limit: number): ChangeEvent[] {
      const position = after && sql`(${articleEvents.effectiveAt}, ${articleEvents.seq}) > (${after.effectiveAt}, ${after.seq})`
      return db
        .select()
        .from(articleEvents)
        .where(and(lte(articleEvents.effectiveAt, now), position))
        .orderBy(asc(articleEvents.effectiveAt), asc(articleEvents.seq))
        .limit(limit)
        .all()
    },
    /**
     * Whether each article was in the public list at `at`, as its history tells: its newest
     * revision below `version` (that of the event in hand) written by then. Compaction keeps one
     * event per article, so the feed alone cannot tell an article that entered the list after
     * `at` from one listed since before; the revisions, kept whole, can. Missing for an article
     * with no such revision (created after `at`, or older than its history).
     */
    listedAt(articles: { id: string; version: number }[], at: number): Map<string, boolean> {
      if (articles.length === 0) return new Map()
      const wanted = JSON.stringify(articles.map((a) => [a.id, a.version]))
      // json ->> reads four fields of the snapshot; a field older snapshots lack reads as null.
      const rows = db.all<ListingFields>(sql`
        SELECT w.value ->> 0 AS id, r.snapshot ->> '$.status' AS status, r.snapshot ->> '$.publishedAt' AS publishedAt,
          r.snapshot ->> '$.embargoedUntil' AS embargoedUntil, r.snapshot ->> '$.deletedAt' AS deletedAt
        FROM json_each(${wanted}) AS w
        JOIN ${articleRevisions} AS r ON r.article_id = w.value ->> 0 AND r.version = (
          SELECT version FROM ${articleRevisions}
          WHERE article_id = w.value ->> 0 AND version < w.value ->> 1 AND created_at <= ${at}
          ORDER BY version DESC LIMIT 1
        )`)
      return new Map(rows.map((row) => [row.id, listedAt(row, at)]))
    },
    /** Drops tombstones older than `cutoff`; returns how many. */
    pruneRemovals(cutoff: number): number {
      return db
        .delete(articleEvents)
        .where(and(eq(articleEvents.type, 'remove'), lt(articleEvents.effectiveAt, cutoff)))
        .run().changes
    },
  }
}
