import { and, count, desc, fillPlaceholders, getTableColumns, inArray, sql, type SQL } from 'drizzle-orm'
import type { DbOrTx } from '../../db/client.js'
import type { SelectedFields } from 'drizzle-orm/sqlite-core'
import { keyset } from '../../db/keyset.js'
import { articlesFts } from '../../db/search.js'
import { articles, articleTags, sources, tags } from '../../db/schema.js'
import type { Facet, Facets, Sort } from './articles.schemas.js'
import { canSeeUnpublished } from '../../http/auth.js'
import { createListCounts, publicationMonth, topNamed } from './list-counts.js'
import {
  conditions,
  DRIVER,
  leadingFilter,
  ordering,
  placeholders,
  shapeOf,
  toSqlFilter,
  updatedFrom,
  walkOf,
  type Driver,
  type ListFilter,
  type ListOptions,
  type SqlFilter,
} from './list-sql.js'
import { inJsonArray, once } from './prepared.js'
import { HIGHLIGHT_CLOSE, HIGHLIGHT_OPEN } from './search-query.js'

/** Prepared page statements by shape; a few dozen in practice, the bound is a guard. */
const MAX_PREPARED_PAGES = 500

export function createArticleQueries(db: DbOrTx) {
  /**
   * FROM articles; with a search, FROM the index CROSS JOIN articles; with a small driver (a tag
   * group, or the articles updated since a time), FROM its article ids CROSS JOIN articles.
   * SQLite keeps the order of a cross join, so the search or the driver leads and each of its
   * articles is one lookup by key (the planner would otherwise walk every visible article and
   * test each).
   */
  function from<S extends SelectedFields>(selection: S, filter: SqlFilter) {
    if (filter.match !== undefined) return db.select(selection).from(articlesFts).$dynamic().crossJoin(articles)
    if (filter.driver === 'updated' && filter.updatedSince !== undefined) {
      const updated = db.select({ docId: articles.docId }).from(articles).where(updatedFrom(filter.updatedSince)).as(DRIVER)
      return db.select(selection).from(updated).$dynamic().crossJoin(articles)
    }
    const group = typeof filter.driver === 'number' ? filter.tagGroups[filter.driver] : undefined
    if (group === undefined || group === false) return db.select(selection).from(articles).$dynamic()
    const tagged = db.selectDistinct({ articleId: articleTags.articleId }).from(articleTags).where(inJsonArray(articleTags.tagId, group)).as(DRIVER)
    return db.select(selection).from(tagged).$dynamic().crossJoin(articles)
  }

  const listCounts = createListCounts(db)
  /** How many rows `rows` has, counting no further than `cap` (a read of at most that many index entries). */
  const upTo = (rows: SQL) => db.select({ n: count() }).from(sql`(${rows} LIMIT ${sql.placeholder('cap')})`).prepare()
  const taggedUpTo = once(() => upTo(sql`SELECT 1 FROM ${articleTags} WHERE ${inJsonArray(articleTags.tagId, sql.placeholder('ids'))}`))
  const updatedUpTo = once(() => upTo(sql`SELECT 1 FROM ${articles} WHERE ${updatedFrom(sql.placeholder('since'))}`))

  /**
   * The smallest driver with few enough articles (of any state) that reading them all costs less
   * than walking the list index: a tag group, or the articles updated since `updatedSince` (unless
   * the list is in the updated order, which walks that index anyway). A step of the walk is an index
   * entry and a test (1.6 µs at 100,000 articles); reading is a row per article (8.7 µs: the row's
   * columns lie past its body). A page walks until enough articles come up, about page size ×
   * listable articles ÷ the driver's: the two balance near 2 √(listable articles), 630 at 100,000,
   * where a tag with three articles took 161 ms walked and 0.2 ms read, and `updatedSince` with
   * nothing updated since 792 ms and 0.1 ms. A count or facets (`whole`) walk the whole list:
   * reading wins up to a fifth of it (a common tag's count, 210 → 20 ms). Searches are driven by
   * the search.
   */
  function smallestDriver(filter: ListFilter, whole: boolean, sort: Sort | undefined): Driver | undefined {
    if (filter.match !== undefined) return undefined
    const byUpdated = filter.updatedSince !== undefined && sort !== 'updated'
    if (filter.tagGroups.length === 0 && !byUpdated) return undefined
    const listable = listCounts.listable()
    const cap = Math.ceil(whole ? listable / 5 : 2 * Math.sqrt(listable))
    let smallest: { driver: Driver; n: number } | undefined
    const consider = (driver: Driver, n: number) => {
      if (n <= cap && (smallest === undefined || n < smallest.n)) smallest = { driver, n }
    }
    filter.tagGroups.forEach((ids, group) => {
      if (ids.length > 0) consider(group, taggedUpTo().get({ ids: JSON.stringify(ids), cap: cap + 1 })?.n ?? 0)
    })
    if (byUpdated) consider('updated', updatedUpTo().get({ since: filter.updatedSince, cap: cap + 1 })?.n ?? 0)
    return smallest?.driver
  }

  /**
   * The filter as the SQL takes it, with what drives it, if anything. `whole`: every match is
   * visited (a count, facets), so the walk it saves is the whole list, unless a byline, a source
   * or a language narrows the walk to their own index (then as for a page).
   */
  function sqlFilter(listFilter: ListFilter, whole = false, sort?: Sort): SqlFilter {
    const filter = toSqlFilter(listFilter)
    return { ...filter, driver: smallestDriver(listFilter, whole && leadingFilter(filter) === undefined, sort) }
  }

  /** A filter that leaves most of the list: nothing but the status, the viewer and a language. */
  const broad = (filter: SqlFilter) =>
    [filter.match, filter.excludedTagIds, filter.sourceIds, filter.from, filter.to, filter.updatedSince, filter.byline].every(
      (value) => value === undefined,
    ) && filter.tagGroups.length === 0

  /** What anonymous readers (and read keys) see, unfiltered: counted by list_counts' triggers. */
  const wholePublicList = (filter: SqlFilter) =>
    filter.status === 'published' && !canSeeUnpublished(filter.viewer) && filter.language === undefined && broad(filter)

  const matchingIds = (filter: SqlFilter) => from({ id: articles.id }, filter).where(and(...conditions(filter)))

  function buildPage(filter: SqlFilter, options: ListOptions, seek: ListOptions['seek']) {
    const { keys, order } = ordering(options.sort)
    const page = keyset(keys, seek, order)
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
      .where(and(...conditions(filter, walkOf(options.sort, seek)), page.where))
      .orderBy(...page.orderBy)
      .limit(sql.placeholder('limit') as unknown as number)
  }

  // Built by Drizzle's query builder once per shape, then run prepared: building the query on
  // every request cost about three times running it (bench/README.md).
  const preparedPages = new Map<string, ReturnType<ReturnType<typeof buildPage>['prepare']>>()

  function preparedPage(listFilter: ListFilter, options: ListOptions) {
    const filter = sqlFilter(listFilter, false, options.sort)
    const shape = shapeOf(filter, options)
    const bound = placeholders(filter, options)
    let prepared = preparedPages.get(shape)
    if (prepared === undefined) {
      prepared = buildPage(bound.filter, options, bound.seek).prepare()
      if (preparedPages.size < MAX_PREPARED_PAGES) preparedPages.set(shape, prepared)
    }
    return { prepared, values: bound.values }
  }

  return {
    /** One page of a list: rows with every summary column (the body if asked) and the cursor key. */
    page(listFilter: ListFilter, options: ListOptions) {
      const { prepared, values } = preparedPage(listFilter, options)
      return prepared.all(values)
    },

    /** The SQL and parameters `page` runs (test/query-plan.test.ts reads their plan). */
    pageSql(listFilter: ListFilter, options: ListOptions): { sql: string; params: unknown[] } {
      const { prepared, values } = preparedPage(listFilter, options)
      const query = prepared.getQuery()
      return { sql: query.sql, params: fillPlaceholders(query.params, values) }
    },

    count(listFilter: ListFilter): number {
      const filter = sqlFilter(listFilter, true)
      if (wholePublicList(filter)) return listCounts.total(listFilter.now)
      return from({ n: count() }, filter).where(and(...conditions(filter))).get()?.n ?? 0
    },

    facets(listFilter: ListFilter, wanted: Facet[]): Facets {
      const filter = sqlFilter(listFilter, true)
      if (wholePublicList(filter)) return listCounts.facets(listFilter.now, wanted)
      const facets: Facets = {}
      const n = count()
      if (wanted.includes('tag')) {
        // Counted by tag id, then the top 20 named. A narrowed list is counted from its articles
        // (a lookup of each one's tags); a broad one from the tag index read in order, each
        // entry checked against the matching articles: at 100,000 articles 0.2 s instead of 0.4.
        // `+article_id` keeps SQLite from the per-article lookup, which it would otherwise pick.
        const member = broad(filter) ? sql`+${articleTags.articleId}` : sql`${articleTags.articleId}`
        const counted = db
          .select({ id: sql<string>`${articleTags.tagId}`.as('id'), count: sql<number>`count(*)`.as('count') })
          .from(articleTags)
          .where(inArray(member, matchingIds(filter)))
          .groupBy(articleTags.tagId)
        facets.tag = topNamed(db, counted, tags)
      }
      if (wanted.includes('source')) {
        // Counted by source id from the list index, then named (half the time of joining the
        // source to every article).
        const counted = from({ id: sql<string>`${articles.sourceId}`.as('id'), count: sql<number>`count(*)`.as('count') }, filter)
          .where(and(...conditions(filter), sql`${articles.sourceId} is not null`))
          .groupBy(articles.sourceId)
        facets.source = topNamed(db, counted, sources)
      }
      if (wanted.includes('month')) {
        facets.month = from({ month: publicationMonth, count: n }, filter)
          .where(and(...conditions(filter)))
          .groupBy(publicationMonth)
          .orderBy(desc(publicationMonth))
          .limit(120)
          .all()
      }
      return facets
    },
  }
}
