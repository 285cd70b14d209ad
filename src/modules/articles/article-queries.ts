import { and, asc, count, desc, eq, fillPlaceholders, getTableColumns, gt, gte, inArray, lte, ne, not, sql, type Placeholder, type SQL, type SQLWrapper } from 'drizzle-orm'
import type { DbOrTx } from '../../db/client.js'
import type { SelectedFields } from 'drizzle-orm/sqlite-core'
import { keyset } from '../../db/keyset.js'
import { articlesFts, matches, searchRank } from '../../db/search.js'
import { ARTICLE_STATUSES, articles, articleTags, sources, tags } from '../../db/schema.js'
import type { Seek } from '../../http/pagination.js'
import type { Facet, Facets, Sort } from './articles.schemas.js'
import { canSeeUnpublished, type Viewer } from '../../http/auth.js'
import { createListCounts, publicationMonth } from './list-counts.js'
import { inJsonArray, once, onIndex } from './prepared.js'
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

/** A value in the SQL, or a placeholder for it in a statement prepared once per shape. */
type Param<T> = T | Placeholder
/**
 * A ListFilter as its SQL takes it: each value, or a placeholder for it. Id lists are JSON
 * arrays (one parameter however many ids); an empty list is `false` (matches nothing).
 */
type SqlFilter = {
  now: Param<number>
  status: ArticleState
  viewer: Viewer
  match?: Param<string> | undefined
  tagGroups: (Param<string> | false)[]
  /** What drives the list when it is small enough (smallestDriver): a tag group (its index), or `updated` (updatedSince). */
  driver?: Driver | undefined
  excludedTagIds?: Param<string> | undefined
  /** A JSON array of ids; with oneSource, the one id itself. */
  sourceIds?: Param<string> | false | undefined
  /** One source: `source_id = ?`, which SQLite seeks in articles_source_list_idx (an IN list walks the list index). */
  oneSource: boolean
  from?: Param<number> | undefined
  to?: Param<number> | undefined
  updatedSince?: Param<number> | undefined
  language?: Param<string> | undefined
  byline?: Param<string> | undefined
}

const NOTHING = sql`0`
/** A tag group, by its index in tagGroups, or the articles updated since updatedSince. */
type Driver = number | 'updated'
/** The alias of the driving articles' ids (from()): a tag group's article_id, or the updated ones' doc_id. */
const DRIVER = 'driver'
const taggedWithAny = (tagIds: Param<string>) =>
  sql`exists (select 1 from ${articleTags} where ${articleTags.articleId} = ${articles.id} and ${inJsonArray(articleTags.tagId, tagIds)})`

/** Articles of any state updated since a time: a range of articles_status_updated_idx, one per state. */
const updatedFrom = (since: Param<number>) => and(inArray(articles.status, [...ARTICLE_STATUSES]), gte(articles.updatedAt, since))

const jsonIds = (ids: string[]) => (ids.length === 0 ? false : JSON.stringify(ids))

/** The filter's values as the SQL takes them. */
const toSqlFilter = (filter: ListFilter): SqlFilter => ({
  ...filter,
  tagGroups: filter.tagGroups.map(jsonIds),
  excludedTagIds: filter.excludedTagIds.length === 0 ? undefined : JSON.stringify(filter.excludedTagIds),
  sourceIds: filter.sourceIds?.length === 1 ? filter.sourceIds[0] : filter.sourceIds && jsonIds(filter.sourceIds),
  oneSource: filter.sourceIds?.length === 1,
})

/**
 * How a page walks the publication time, which decides what may bound the index's range:
 * `free` (a first page, a search, a count), a cursor as its upper bound (`cursor-down`) or its
 * lower bound (`cursor-up`), or `updated` (the updated order reads its own index).
 */
type Walk = 'free' | 'cursor-down' | 'cursor-up' | 'updated'

/**
 * The publication-time tests, each on the index or off it (onIndex): the clock leaves the upper
 * bound to `to` when there is one (bounded by the clock, a month of 2022 was walked down from
 * today: 6 ms instead of 0.02), and a cursor takes the bound on the side it walks towards.
 */
function timeTests(filter: SqlFilter, walk: Walk) {
  const upperFree = walk === 'free' || walk === 'cursor-up'
  return {
    nowIndexed: upperFree && filter.to === undefined,
    from: filter.from === undefined ? undefined : gte(onIndex(articles.sortAt, walk !== 'cursor-up'), filter.from),
    to: filter.to === undefined ? undefined : lte(onIndex(articles.sortAt, upperFree || walk === 'updated'), filter.to),
  }
}

/**
 * Which one of a byline, a single source and a language a list walks the index of (schema.ts:
 * each has one, ordered by publication time); the others are tested on each row, off their
 * index (the unary plus), as SQLite cannot tell which is rarer and would pick one at random.
 * The likely rarest first: a byline is one writer's, a language is often nearly every article.
 */
function leadingFilter(filter: SqlFilter): 'byline' | 'source' | 'language' | undefined {
  if (filter.byline !== undefined) return 'byline'
  if (filter.oneSource) return 'source'
  if (filter.language !== undefined) return 'language'
  return undefined
}

/** The WHERE terms of a list. */
function conditions(filter: SqlFilter, walk: Walk = 'free'): (SQL | undefined)[] {
  const time = timeTests(filter, walk)
  const lead = leadingFilter(filter)
  return [
    ...statusIs(filter.status, filter.now, time.nowIndexed),
    visibleTo(filter.viewer, filter.now, { timeIndexed: time.nowIndexed }),
    filter.match === undefined ? undefined : matches(filter.match),
    filter.match === undefined ? undefined : eq(articlesFts.rowid, articles.docId),
    filter.driver === undefined
      ? undefined
      : filter.driver === 'updated'
        ? sql`${articles.docId} = ${sql.identifier(DRIVER)}.${sql.identifier('doc_id')}`
        : sql`${articles.id} = ${sql.identifier(DRIVER)}.${sql.identifier('article_id')}`,
    ...filter.tagGroups.map((group, i) => (group === false ? NOTHING : i === filter.driver ? undefined : taggedWithAny(group))),
    filter.excludedTagIds === undefined ? undefined : not(taggedWithAny(filter.excludedTagIds)),
    filter.sourceIds === undefined
      ? undefined
      : filter.sourceIds === false
        ? NOTHING
        : filter.oneSource
          ? eq(onIndex(articles.sourceId, lead === 'source'), filter.sourceIds)
          : inJsonArray(articles.sourceId, filter.sourceIds),
    // sort_at is the publication time for everything ever published, and it is indexed.
    time.from,
    time.to,
    filter.updatedSince === undefined ? undefined : gte(articles.updatedAt, filter.updatedSince),
    filter.language === undefined ? undefined : eq(onIndex(articles.language, lead === 'language'), filter.language),
    filter.byline === undefined ? undefined : eq(onIndex(articles.byline, lead === 'byline'), filter.byline),
  ]
}

/** A state as stored: scheduled and published are both stored published, told apart by time. */
export function statusIs(state: ArticleState, now: number | Placeholder, timeIndexed = true): SQL[] {
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

/** The parameters of one page's query, named as its placeholders. */
type PageValues = Record<string, unknown>

/**
 * What decides the SQL text of a page (and not only its values): the order, which filters are
 * present, the viewer's kind, the cursor's direction. Each shape is prepared once.
 */
function shapeOf(filter: SqlFilter, options: ListOptions): string {
  const present = (value: unknown) => (value === undefined ? '-' : value === false ? '0' : '+')
  return [
    options.sort,
    options.withBody,
    options.highlight,
    options.seek?.direction ?? '',
    filter.status,
    canSeeUnpublished(filter.viewer),
    filter.tagGroups.map(present).join(''),
    filter.driver ?? '',
    filter.oneSource,
    ...[filter.match, filter.excludedTagIds, filter.sourceIds, filter.from, filter.to, filter.updatedSince, filter.language, filter.byline].map(present),
  ].join('|')
}

/**
 * The filter with a placeholder for each value it has, and the values by placeholder name:
 * a page query is built once per shape from the first and run with the second.
 */
function placeholders(filter: SqlFilter, options: ListOptions): { filter: SqlFilter; seek: ListOptions['seek'] | undefined; values: PageValues } {
  const values: PageValues = { now: filter.now, limit: options.limit }
  const bind = <T>(name: string, value: T | undefined) => {
    if (value === undefined || value === false) return value
    values[name] = value
    return sql.placeholder(name)
  }
  const seek = options.seek && { direction: options.seek.direction, key: options.seek.key.map((value, i) => bind(`seek${i}`, value)) }
  return {
    filter: {
      now: sql.placeholder('now'),
      status: filter.status,
      viewer: filter.viewer,
      match: bind('match', filter.match),
      tagGroups: filter.tagGroups.map((group, i) => bind(`tags${i}`, group) as Placeholder | false),
      driver: filter.driver,
      excludedTagIds: bind('excluded', filter.excludedTagIds),
      sourceIds: bind('sources', filter.sourceIds) as Placeholder | false | undefined,
      oneSource: filter.oneSource,
      from: bind('from', filter.from),
      to: bind('to', filter.to),
      updatedSince: bind('updatedSince', filter.updatedSince),
      language: bind('language', filter.language),
      byline: bind('byline', filter.byline),
    },
    seek: seek as ListOptions['seek'],
    values,
  }
}

/** Related articles: how many of the newest articles with each shared tag are scored (related()). */
const RELATED_CANDIDATES_PER_TAG = 200

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

  /**
   * The 20 most used of counts per tag or source id, named: most used first, ties by name. The
   * counts are one row per tag or source, so naming and ordering them all costs little.
   */
  function topNamed(counted: SQLWrapper, named: typeof tags | typeof sources) {
    return db.all<{ slug: string; name: string; count: number }>(sql`
      SELECT ${named.slug} AS slug, ${named.name} AS name, counted.count AS count
      FROM (${counted}) AS counted JOIN ${named} ON ${named.id} = counted.id
      ORDER BY counted.count DESC, ${named.name} ASC LIMIT 20`)
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
    // A cursor bounds the walk on the side it goes towards; relevance is driven by the search.
    const walksDown = (order === 'desc') !== (seek?.direction === 'prev')
    const walk: Walk =
      options.sort === 'updated' ? 'updated' : seek === undefined || options.sort === 'relevance' ? 'free' : walksDown ? 'cursor-down' : 'cursor-up'
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
      .where(and(...conditions(filter, walk), page.where))
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
        facets.tag = topNamed(counted, tags)
      }
      if (wanted.includes('source')) {
        // Counted by source id from the list index, then named (half the time of joining the
        // source to every article).
        const counted = from({ id: sql<string>`${articles.sourceId}`.as('id'), count: sql<number>`count(*)`.as('count') }, filter)
          .where(and(...conditions(filter), sql`${articles.sourceId} is not null`))
          .groupBy(articles.sourceId)
        facets.source = topNamed(counted, sources)
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

    /**
     * Candidates related to an article: by shared tags, each weighted by its rarity
     * (ln(1 + listable articles / listable articles with the tag), from list_counts), and by
     * search rank of its headline and summary words. Both lists come back best first; the
     * service merges them. The tag candidates are, for each shared tag, the
     * RELATED_CANDIDATES_PER_TAG articles most recently added with it (the tag index read
     * backwards: ids are time-ordered), so the work is bounded whatever the table's size: a
     * rare tag's articles are all there, a common tag's newest. Scoring every article that
     * shares a tag walked the whole list: 0.18 s at 100,000 articles, 4 s at 1,000,000.
     */
    related(articleId: string, tagIds: string[], textMatch: string | undefined, viewer: Viewer, now: number, limit: number) {
      const candidates = and(...statusIs('published', now), visibleTo(viewer, now), ne(articles.id, articleId))
      let byTags: { id: string; score: number }[] = []
      if (tagIds.length > 0) {
        const total = listCounts.listable()
        const counts = listCounts.tagCounts(tagIds)
        const weight = sql.join(
          tagIds.map((id) => sql`when ${id} then ${Math.log(1 + total / Math.max(counts.get(id) ?? 0, 1))}`),
          sql` `,
        )
        const newestWith = (tagId: string) =>
          sql`SELECT article_id FROM (SELECT ${articleTags.articleId} AS article_id FROM ${articleTags} WHERE ${articleTags.tagId} = ${tagId}
            ORDER BY ${articleTags.articleId} DESC LIMIT ${RELATED_CANDIDATES_PER_TAG})`
        byTags = db.all<{ id: string; score: number }>(sql`
          SELECT ${articles.id} AS id, sum(CASE ${articleTags.tagId} ${weight} ELSE 0 END) AS score
          FROM (${sql.join(tagIds.map(newestWith), sql` UNION `)}) AS candidate
          CROSS JOIN ${articles} ON ${articles.id} = candidate.article_id
          JOIN ${articleTags} ON ${articleTags.articleId} = candidate.article_id AND ${inArray(articleTags.tagId, tagIds)}
          WHERE ${candidates}
          GROUP BY ${articles.id}
          ORDER BY score DESC, ${articles.sortAt} DESC
          LIMIT ${limit}`)
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
