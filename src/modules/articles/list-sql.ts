import { and, eq, gt, gte, inArray, lte, not, sql, type Placeholder, type SQL } from 'drizzle-orm'
import { articlesFts, matches, searchRank } from '../../db/search.js'
import { ARTICLE_STATUSES, articles, articleTags } from '../../db/schema.js'
import { canSeeUnpublished, type Viewer } from '../../http/auth.js'
import type { Seek } from '../../http/pagination.js'
import type { Sort } from './articles.schemas.js'
import type { ArticleState } from './lifecycle.js'
import { inJsonArray, onIndex } from './prepared.js'
import { timeReached, visibleTo } from './visibility.js'

// A list's filter as SQL: its WHERE terms, which of them may bound an index walk, its order,
// and the shape and placeholders of the statement prepared for it (article-queries.ts runs them).

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
export type Param<T> = T | Placeholder
/**
 * A ListFilter as its SQL takes it: each value, or a placeholder for it. Id lists are JSON
 * arrays (one parameter however many ids); an empty list is `false` (matches nothing).
 */
export type SqlFilter = {
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
export type Driver = number | 'updated'
/** The alias of the driving articles' ids (from()): a tag group's article_id, or the updated ones' doc_id. */
export const DRIVER = 'driver'
const taggedWithAny = (tagIds: Param<string>) =>
  sql`exists (select 1 from ${articleTags} where ${articleTags.articleId} = ${articles.id} and ${inJsonArray(articleTags.tagId, tagIds)})`

/** Articles of any state updated since a time: a range of articles_status_updated_idx, one per state. */
export const updatedFrom = (since: Param<number>) => and(inArray(articles.status, [...ARTICLE_STATUSES]), gte(articles.updatedAt, since))

const jsonIds = (ids: string[]) => (ids.length === 0 ? false : JSON.stringify(ids))

/** The filter's values as the SQL takes them. */
export const toSqlFilter = (filter: ListFilter): SqlFilter => ({
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

/** How a page in `sort` walks: a cursor bounds it on the side it goes towards; relevance is driven by the search. */
export function walkOf(sort: Sort, seek: ListOptions['seek']): Walk {
  if (sort === 'updated') return 'updated'
  if (seek === undefined || sort === 'relevance') return 'free'
  const walksDown = (ordering(sort).order === 'desc') !== (seek.direction === 'prev')
  return walksDown ? 'cursor-down' : 'cursor-up'
}

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
export function leadingFilter(filter: SqlFilter): 'byline' | 'source' | 'language' | undefined {
  if (filter.byline !== undefined) return 'byline'
  if (filter.oneSource) return 'source'
  if (filter.language !== undefined) return 'language'
  return undefined
}

/** The WHERE terms of a list. */
export function conditions(filter: SqlFilter, walk: Walk = 'free'): (SQL | undefined)[] {
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
export function ordering(sort: Sort) {
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
export function shapeOf(filter: SqlFilter, options: ListOptions): string {
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
export function placeholders(filter: SqlFilter, options: ListOptions): { filter: SqlFilter; seek: ListOptions['seek'] | undefined; values: PageValues } {
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
