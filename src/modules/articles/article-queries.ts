import { and, asc, count, desc, eq, getTableColumns, gt, gte, inArray, lte, ne, not, sql, type SQL } from 'drizzle-orm'
import type { DbOrTx } from '../../db/client.js'
import type { SelectedFields } from 'drizzle-orm/sqlite-core'
import { keyset } from '../../db/keyset.js'
import { articlesFts, matches, searchRank } from '../../db/search.js'
import { articles, articleTags, sources, tags } from '../../db/schema.js'
import type { Seek } from '../../http/pagination.js'
import type { Facet, Facets, Sort } from './articles.schemas.js'
import type { Viewer } from '../../http/auth.js'
import type { ArticleState } from './lifecycle.js'
import { timeReached, visibleTo } from './visibility.js'
import { HIGHLIGHT_CLOSE, HIGHLIGHT_OPEN } from './search-query.js'

/** What a list selects, already resolved to ids and milliseconds. */
export type ListFilter = {
  /** The time visibility and `scheduled` are judged at. */
  now: number
  status: ArticleState
  /** Who is asking: visibleTo() decides what they may see. */
  viewer: Viewer
  /** An FTS5 expression from toMatchExpression(). */
  match?: string | undefined
  /** Tag ids: every group must match one of its ids. */
  tagGroups: string[][]
  excludedTagIds: string[]
  sourceIds?: string[] | undefined
  from?: number | undefined
  to?: number | undefined
  updatedSince?: number | undefined
  language?: string | undefined
  byline?: string | undefined
}

export type ListOptions = { sort: Sort; withBody: boolean; highlight: boolean; limit: number; seek: Seek | undefined }

const NOTHING = sql`0`
const taggedWithAny = (tagIds: string[]) =>
  sql`exists (select 1 from ${articleTags} where ${articleTags.articleId} = ${articles.id} and ${inArray(articleTags.tagId, tagIds)})`

/**
 * The WHERE terms of a list. `timeIndexed: false` keeps the publication-time test off the
 * index when something else must bound its range (a cursor going down, the updated order).
 */
function conditions(filter: ListFilter, timeIndexed = true): (SQL | undefined)[] {
  return [
    ...statusIs(filter.status, filter.now, timeIndexed),
    visibleTo(filter.viewer, filter.now, { timeIndexed }),
    filter.match === undefined ? undefined : matches(filter.match),
    filter.match === undefined ? undefined : eq(articlesFts.rowid, articles.docId),
    ...filter.tagGroups.map((group) => (group.length === 0 ? NOTHING : taggedWithAny(group))),
    filter.excludedTagIds.length === 0 ? undefined : not(taggedWithAny(filter.excludedTagIds)),
    filter.sourceIds === undefined ? undefined : filter.sourceIds.length === 0 ? NOTHING : inArray(articles.sourceId, filter.sourceIds),
    // sort_at is the publication time for everything ever published, and it is indexed.
    filter.from === undefined ? undefined : gte(articles.sortAt, filter.from),
    filter.to === undefined ? undefined : lte(articles.sortAt, filter.to),
    filter.updatedSince === undefined ? undefined : gte(articles.updatedAt, filter.updatedSince),
    filter.language === undefined ? undefined : eq(articles.language, filter.language),
    filter.byline === undefined ? undefined : eq(articles.byline, filter.byline),
  ]
}

/** A state as stored: scheduled and published are both stored published, told apart by time. */
export function statusIs(state: ArticleState, now: number, timeIndexed = true): SQL[] {
  if (state === 'scheduled') return [eq(articles.status, 'published'), gt(articles.sortAt, now)]
  if (state === 'published') return [eq(articles.status, 'published'), timeReached(now, timeIndexed)]
  return [eq(articles.status, state)]
}

/** The sort keys of each order; the last is the id, so every key is unique. */
function ordering(sort: Sort) {
  switch (sort) {
    case 'oldest':
      return { keys: [articles.sortAt, articles.id], order: 'asc' as const }
    case 'updated':
      return { keys: [articles.updatedAt, articles.id], order: 'desc' as const }
    case 'relevance':
      return { keys: [searchRank, articles.id], order: 'asc' as const }
    default:
      return { keys: [articles.sortAt, articles.id], order: 'desc' as const }
  }
}

export function createArticleQueries(db: DbOrTx) {
  /**
   * FROM articles or, with a search, FROM the index CROSS JOIN articles: SQLite keeps the order
   * of a cross join, so the search drives and each hit is one primary-key lookup (the planner
   * would otherwise probe the index once per visible article).
   */
  function from<S extends SelectedFields>(selection: S, filter: ListFilter) {
    if (filter.match === undefined) return db.select(selection).from(articles).$dynamic()
    return db.select(selection).from(articlesFts).$dynamic().crossJoin(articles)
  }

  const matchingIds = (filter: ListFilter) => from({ id: articles.id }, filter).where(and(...conditions(filter)))

  return {
    page(filter: ListFilter, options: ListOptions) {
      const { keys, order } = ordering(options.sort)
      const page = keyset(keys, options.seek, order)
      // Going down the newest order, the cursor is the upper bound that matters; the updated
      // order reads its own index.
      const descendingSeek = order === 'desc' && options.seek?.direction === 'next'
      const timeIndexed = !(descendingSeek || options.sort === 'updated')
      const { body, bodyHtml, bodyText, ...summary } = getTableColumns(articles)
      const selection = {
        ...summary,
        ...(options.withBody ? { body, bodyHtml, bodyText } : {}),
        cursorKey0: sql<number>`${keys[0]}`.as('cursor_key0'),
        ...(options.highlight
          ? {
              highlight: sql<string>`snippet(articles_fts, -1, ${HIGHLIGHT_OPEN}, ${HIGHLIGHT_CLOSE}, '…', 24)`.as('highlight'),
            }
          : {}),
      }
      return from(selection, filter)
        .where(and(...conditions(filter, timeIndexed), page.where))
        .orderBy(...page.orderBy)
        .limit(options.limit)
    },

    count(filter: ListFilter): number {
      return from({ n: count() }, filter).where(and(...conditions(filter))).get()?.n ?? 0
    },

    facets(filter: ListFilter, wanted: Facet[]): Facets {
      const facets: Facets = {}
      const n = count()
      if (wanted.includes('tag')) {
        facets.tag = db
          .select({ slug: tags.slug, name: tags.name, count: n })
          .from(articleTags)
          .innerJoin(tags, eq(tags.id, articleTags.tagId))
          .where(inArray(articleTags.articleId, matchingIds(filter)))
          .groupBy(tags.id)
          .orderBy(desc(n), asc(tags.name))
          .limit(20)
          .all()
      }
      if (wanted.includes('source')) {
        facets.source = from({ slug: sources.slug, name: sources.name, count: n }, filter)
          .innerJoin(sources, eq(sources.id, articles.sourceId))
          .where(and(...conditions(filter)))
          .groupBy(sources.id)
          .orderBy(desc(n), asc(sources.name))
          .limit(20)
          .all()
      }
      if (wanted.includes('month')) {
        const month = sql<string>`strftime('%Y-%m', ${articles.sortAt} / 1000, 'unixepoch')`
        facets.month = from({ month, count: n }, filter)
          .where(and(...conditions(filter)))
          .groupBy(month)
          .orderBy(desc(month))
          .limit(120)
          .all()
      }
      return facets
    },

    /**
     * Candidates related to an article: by shared tags, each weighted by its rarity
     * (ln(1 + articles / articles with the tag)), and by search rank of its headline and
     * summary words. Both lists come back best first; the service merges them.
     */
    related(articleId: string, tagIds: string[], textMatch: string | undefined, viewer: Viewer, now: number, limit: number) {
      const candidates = and(...statusIs('published', now), visibleTo(viewer, now), ne(articles.id, articleId))
      let byTags: { id: string; score: number }[] = []
      if (tagIds.length > 0) {
        const total = db.select({ n: count() }).from(articles).get()?.n ?? 1
        const frequencies = db
          .select({ tagId: articleTags.tagId, n: count() })
          .from(articleTags)
          .where(inArray(articleTags.tagId, tagIds))
          .groupBy(articleTags.tagId)
          .all()
        const weight = sql.join(
          frequencies.map((f) => sql`when ${f.tagId} then ${Math.log(1 + total / f.n)}`),
          sql` `,
        )
        const score = sql<number>`sum(case ${articleTags.tagId} ${weight} else 0 end)`
        byTags = db
          .select({ id: articles.id, score })
          .from(articleTags)
          .innerJoin(articles, eq(articles.id, articleTags.articleId))
          .where(and(inArray(articleTags.tagId, tagIds), candidates))
          .groupBy(articles.id)
          .orderBy(desc(score), desc(articles.sortAt))
          .limit(limit)
          .all()
      }
      const byText =
        textMatch === undefined
          ? []
          : db
              .select({ id: articles.id, rank: searchRank })
              .from(articles)
              .innerJoin(articlesFts, eq(articlesFts.rowid, articles.docId))
              .where(and(matches(textMatch), candidates))
              .orderBy(searchRank)
              .limit(limit)
              .all()
      return { byTags, byText }
    },
  }
}
