import { and, eq, inArray, sql, type SQLWrapper } from 'drizzle-orm'
import type { DbOrTx } from '../../db/client.js'
import { articles, articleTags, listCounts, sources, tags } from '../../db/schema.js'
import type { Facet, Facets } from './articles.schemas.js'
import { once } from './prepared.js'

/** An article's month of publication, `YYYY-MM` in UTC, as the month facet and migration 0009's triggers write it. */
export const publicationMonth = sql<string>`strftime('%Y-%m', ${articles.sortAt} / 1000, 'unixepoch')`

/**
 * The 20 most used of counts per tag or source id (a query with columns `id` and `count`),
 * named: most used first, ties by name. The counts are one row per tag or source, so naming
 * and ordering them all costs little. The live facets (article-queries.ts) and the counted
 * ones below share it.
 */
export function topNamed(db: DbOrTx, counted: SQLWrapper, named: typeof tags | typeof sources) {
  return db.all<{ slug: string; name: string; count: number }>(sql`
    SELECT ${named.slug} AS slug, ${named.name} AS name, counted.count AS count
    FROM (${counted}) AS counted JOIN ${named} ON ${named.id} = counted.id
    ORDER BY counted.count DESC, ${named.name} ASC LIMIT 20`)
}

/**
 * Facets and the total of the whole public list (what anonymous readers see, unfiltered) from
 * list_counts, which triggers keep for every listable article: published and not deleted
 * (migration 0009). Listable is not yet visible: the clock still hides scheduled articles and
 * those under embargo. They are few and indexed (the list index by sort_at, the embargo index),
 * so they are counted here and taken off. At 1,000,000 articles counting the list itself took
 * 6.5 s for the three facets, blocking the process; this reads a few hundred rows.
 *
 * The results equal the live counts (article-queries.ts) exactly; test/list-counts.test.ts
 * checks that after random sequences of writes and moves of the clock.
 */
export function createListCounts(db: DbOrTx) {
  /**
   * Listable articles the clock hides at `now`: due to be published, or under embargo. Found by
   * the two indexes, then looked up by rowid. Each choice here keeps SQLite off a plan that reads
   * all 1,000,000 articles (1.6 s): UNION ALL, as a UNION is merged in rowid order, which scans
   * the table for the embargo side; the `+`, so that `status = 'published'` does not pick the
   * whole list index over the rowid lookups. An article in both sides is looked up once anyway.
   */
  const hidden = (now: number, embargoHides = true) => sql`
    ${articles.docId} IN (
      SELECT ${articles.docId} FROM ${articles} WHERE ${articles.status} = 'published' AND ${articles.sortAt} > ${now}
      ${embargoHides ? sql`UNION ALL SELECT ${articles.docId} FROM ${articles} WHERE ${articles.embargoedUntil} > ${now}` : sql``}
    ) AND +${articles.status} = 'published' AND +${articles.deletedAt} IS NULL`

  /** Hidden articles counted per tag or source id (`id`, `n`). */
  const hiddenBy = (facet: 'tag' | 'source', now: number, embargoHides = true) =>
    facet === 'tag'
      ? sql`SELECT ${articleTags.tagId} AS id, count(*) AS n FROM ${articleTags}
          WHERE ${articleTags.articleId} IN (SELECT ${articles.id} FROM ${articles} WHERE ${hidden(now, embargoHides)})
          GROUP BY ${articleTags.tagId}`
      : sql`SELECT ${articles.sourceId} AS id, count(*) AS n FROM ${articles}
          WHERE ${hidden(now, embargoHides)} AND ${articles.sourceId} IS NOT NULL GROUP BY ${articles.sourceId}`

  /**
   * Visible published articles per tag or source id (`id`, `count`; only those with some): the
   * counts less the hidden ones. `embargoHides: false` for callers who see embargoed articles
   * (write keys), from whom only the scheduled ones are hidden.
   */
  const countedBy = (facet: 'tag' | 'source', now: number, embargoHides = true) => sql`
    SELECT c.key AS id, c.n - coalesce(h.n, 0) AS count FROM ${listCounts} AS c
    LEFT JOIN (${hiddenBy(facet, now, embargoHides)}) AS h ON h.id = c.key
    WHERE c.facet = ${facet} AND c.n - coalesce(h.n, 0) > 0`

  const listableAll = once(() => db.select({ n: listCounts.n }).from(listCounts).where(eq(listCounts.facet, 'all')).prepare())

  return {
    /** How many articles are listable (published, not deleted), the clock not considered: one row read. */
    listable(): number {
      return listableAll().get()?.n ?? 0
    },

    countedBy,

    /** Listable articles per tag, for the given tag ids (a tag with none is left out). */
    tagCounts(tagIds: string[]): Map<string, number> {
      const rows = db
        .select({ key: listCounts.key, n: listCounts.n })
        .from(listCounts)
        .where(and(eq(listCounts.facet, 'tag'), inArray(listCounts.key, tagIds)))
        .all()
      return new Map(rows.map((row) => [row.key, row.n]))
    },

    total(now: number): number {
      const row = db.get<{ n: number }>(sql`
        SELECT coalesce((SELECT ${listCounts.n} FROM ${listCounts} WHERE ${listCounts.facet} = 'all'), 0)
          - (SELECT count(*) FROM ${articles} WHERE ${hidden(now)}) AS n`)
      return row?.n ?? 0
    },

    /** The same top 20 tags and sources (most used first, ties by name) and 120 months as the live facets. */
    facets(now: number, wanted: Facet[]): Facets {
      const facets: Facets = {}
      if (wanted.includes('tag')) facets.tag = topNamed(db, countedBy('tag', now), tags)
      if (wanted.includes('source')) facets.source = topNamed(db, countedBy('source', now), sources)
      if (wanted.includes('month')) {
        facets.month = db.all<{ month: string; count: number }>(sql`
          SELECT c.key AS month, c.n - coalesce(h.n, 0) AS count
          FROM ${listCounts} AS c
          LEFT JOIN (SELECT ${publicationMonth} AS month, count(*) AS n FROM ${articles} WHERE ${hidden(now)} GROUP BY month) AS h ON h.month = c.key
          WHERE c.facet = 'month' AND c.n - coalesce(h.n, 0) > 0
          ORDER BY c.key DESC LIMIT 120`)
      }
      return facets
    },
  }
}
