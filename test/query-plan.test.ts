import t, { type Test } from 'tap'
import { createArticleQueries } from '../src/modules/articles/article-queries.js'
import type { ListFilter, ListOptions } from '../src/modules/articles/list-sql.js'
import { createRelatedQueries } from '../src/modules/articles/related-queries.js'
import { createListCounts } from '../src/modules/articles/list-counts.js'
import { toMatchExpression } from '../src/modules/articles/search-query.js'
import { createArticle, createSources, createTags } from './factories.js'
import { build, type Harness } from './helper.js'

// Issue 3: every filter, sort and search runs on an index. The main list queries, as the
// query builder writes them, must never scan the whole articles table.

type PlanRow = { id: number; parent: number; detail: string }

const anonymous = (now: number): ListFilter => ({
  now,
  status: 'published',
  viewer: null,
  tagGroups: [],
  excludedTagIds: [],
})
const options = (overrides: Partial<ListOptions> = {}): ListOptions => ({
  sort: 'newest',
  withBody: false,
  highlight: false,
  limit: 21,
  seek: undefined,
  ...overrides,
})

function plan(h: Harness, filter: ListFilter, opts: ListOptions): PlanRow[] {
  const { sql, params } = createArticleQueries(h.db).pageSql(filter, opts)
  return h.db.$client.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params) as PlanRow[]
}

// A SCAN of articles, or the trash's index: lists never read the trash, and before migration
// 0010 made that index partial SQLite took it for `deleted_at IS NULL`, which nearly every row
// matches (a list by source: 441 ms at 100,000 articles).
const fullScans = (rows: PlanRow[]) => rows.filter((row) => /^SCAN articles\b/.test(row.detail) || /\barticles_trash_idx\b/.test(row.detail))
const show = (rows: PlanRow[]) => rows.map((row) => row.detail).join(' | ')

type Ids = { tagA: string; tagB: string; source: string }
const FAKE: Ids = { tagA: 'tag_a', tagB: 'tag_b', source: 'src_a' }

/** Rows made through the API, then fresh statistics, so the planner chooses as on a real database. */
async function populate(h: Harness, { analyze = true } = {}): Promise<Ids> {
  const [tagA, tagB] = await createTags(h, 'a', 'b')
  const [source] = await createSources(h, 'a')
  for (let i = 0; i < 200; i++) {
    await createArticle(h, {
      headline: `Headline ${i} syria`,
      status: i % 10 === 0 ? 'draft' : 'published',
      publishedAt: new Date(h.clock.now - i * 60_000).toISOString(),
      tags: [i % 2 ? 'a' : 'b'],
      ...(i % 3 ? { source: 'a' } : {}),
    })
  }
  if (analyze) h.db.$client.exec('ANALYZE')
  return { tagA: tagA!.id, tagB: tagB!.id, source: source!.id }
}

type Case = { name: string; filter: ListFilter; opts: ListOptions; kind: 'first page' | 'filtered' | 'search' | 'deep page' }

function cases(now: number, { tagA, tagB, source }: Ids): Case[] {
  const base = anonymous(now)
  const search = { ...base, match: toMatchExpression('syria') }
  const writeKey = { keyId: 'k', name: 'k', scope: 'write' as const }
  const key = [now - 100 * 60_000, 'art_zzzz']
  const c = (kind: Case['kind'], name: string, filter: ListFilter, opts: ListOptions): Case => ({ name, filter, opts, kind })
  return [
    c('first page', 'sort=newest', base, options()),
    c('first page', 'sort=oldest', base, options({ sort: 'oldest' })),
    c('first page', 'sort=updated', base, options({ sort: 'updated' })),
    c('first page', 'status=archived, anonymous', { ...base, status: 'archived' }, options()),
    c('first page', 'status=draft, write key', { ...base, status: 'draft', viewer: writeKey }, options()),
    c('filtered', 'tag=a', { ...base, tagGroups: [[tagA]] }, options()),
    c('filtered', 'tag=a,b|c,-d', { ...base, tagGroups: [[tagA], [tagB, 'tag_c']], excludedTagIds: ['tag_d'] }, options()),
    c('filtered', 'source=a', { ...base, sourceIds: [source] }, options()),
    c('filtered', 'source=a, sort=oldest', { ...base, sourceIds: [source] }, options({ sort: 'oldest' })),
    c('filtered', 'source=a, sort=updated', { ...base, sourceIds: [source] }, options({ sort: 'updated' })),
    c('filtered', 'source=a,b', { ...base, sourceIds: [source, 'src_b'] }, options()),
    c('filtered', 'tag=a and source=a', { ...base, tagGroups: [[tagA]], sourceIds: [source] }, options()),
    c('filtered', 'source=a, write key', { ...base, status: 'draft', viewer: writeKey, sourceIds: [source] }, options()),
    c('filtered', 'from/to', { ...base, from: now - 86_400_000, to: now }, options()),
    c('filtered', 'from/to, sort=oldest', { ...base, from: now - 86_400_000, to: now }, options({ sort: 'oldest' })),
    c('filtered', 'updatedSince, sort=updated', { ...base, updatedSince: now - 86_400_000 }, options({ sort: 'updated' })),
    c('filtered', 'language and byline', { ...base, language: 'en', byline: 'Ann' }, options()),
    c('search', 'q, sort=relevance', search, options({ sort: 'relevance' })),
    c('search', 'q, sort=newest', search, options()),
    c('search', 'q, highlight', search, options({ sort: 'relevance', highlight: true })),
    c('search', 'q and a tag', { ...search, tagGroups: [[tagA]] }, options()),
    c('deep page', 'deep page, newest', base, options({ seek: { key, direction: 'next' } })),
    c('deep page', 'deep page, newest, prev', base, options({ seek: { key, direction: 'prev' } })),
    c('deep page', 'deep page, oldest', base, options({ sort: 'oldest', seek: { key, direction: 'next' } })),
    c('deep page', 'deep page, updated', base, options({ sort: 'updated', seek: { key: [now, 'art_zzzz'], direction: 'next' } })),
    c('deep page', 'deep page, tag=a', { ...base, tagGroups: [[tagA]] }, options({ seek: { key, direction: 'next' } })),
    c('deep page', 'deep page, oldest, prev', base, options({ sort: 'oldest', seek: { key, direction: 'prev' } })),
    c('deep page', 'deep page, source=a', { ...base, sourceIds: [source] }, options({ seek: { key, direction: 'next' } })),
    c('deep page', 'deep page, from/to', { ...base, from: now - 86_400_000, to: now }, options({ seek: { key, direction: 'next' } })),
  ]
}

// Each check runs on a fresh database (no statistics: what the app has, as it never runs
// ANALYZE) and after ANALYZE on 200 rows made through the API.
async function eachPlan(t: Test, kinds: Case['kind'][], check: (name: string, rows: PlanRow[]) => void) {
  for (const withStatistics of [false, true]) {
    await t.test(withStatistics ? 'after ANALYZE on 200 rows' : 'on a fresh database', async (t) => {
      const h = await build(t)
      const ids = withStatistics ? await populate(h) : FAKE
      for (const { name, filter, opts, kind } of cases(h.clock.now, ids)) {
        if (!kinds.includes(kind)) continue
        const rows = plan(h, filter, opts)
        t.ok(rows.length > 0, `${name}: has a plan`)
        check(name, rows)
      }
    })
  }
}

const ALL: Case['kind'][] = ['first page', 'filtered', 'search', 'deep page']

t.test('no list query scans the whole articles table', async (t) => {
  await eachPlan(t, ALL, (name, rows) => {
    t.same(fullScans(rows), [], `${name}: ${show(rows)}`)
    t.ok(rows.some((row) => /^SEARCH articles USING (COVERING INDEX|INDEX|INTEGER PRIMARY KEY)/.test(row.detail)), `${name}: articles through an index`)
  })
})

t.test('a search is driven by the full-text index, articles looked up by primary key', async (t) => {
  // Otherwise SQLite walks every visible article and probes the index once per row.
  await eachPlan(t, ['search'], (name, rows) => {
    const order = rows.filter((row) => /\barticles(_fts)?\b/.test(row.detail)).map((row) => row.detail)
    t.match(order[0], /^SCAN articles_fts VIRTUAL TABLE/, `${name}: the index first: ${show(rows)}`)
    t.ok(order.some((d) => /^SEARCH articles USING INTEGER PRIMARY KEY/.test(d)), `${name}: then articles by key`)
  })
})

/** Whether a small tag group's articles drive the plan (article-queries.ts smallestDriver). */
const drivenByTag = (rows: PlanRow[]) => rows.some((row) => /^SEARCH article_tags USING COVERING INDEX article_tags_tag_idx \(tag_id=\?\)/.test(row.detail))

t.test('a deep page seeks to its cursor in the index instead of walking to it', async (t) => {
  await eachPlan(t, ['deep page'], (name, rows) => {
    // A small tag's few articles are read and sorted whole; on a fresh database every tag is small.
    if (drivenByTag(rows)) return t.pass(`${name}: driven by a small tag`)
    const articles = rows.find((row) => /^SEARCH articles USING/.test(row.detail))?.detail ?? ''
    t.match(articles, /\((sort_at|updated_at),id\)[<>]\(\?,\?\)/, `${name}: the cursor bounds the index range: ${show(rows)}`)
  })
})

t.test('a small tag drives its list, a large one walks the list index', async (t) => {
  // Walked, a tag with three of 100,000 articles took 161 ms; its articles read, 0.2 ms. Small
  // is up to 2 √(listable articles) for a page (here 20 of 100: up to 20), a fifth for a count.
  const h = await build(t)
  const [rare, common] = await createTags(h, 'rare', 'common')
  for (let i = 0; i < 100; i++) {
    await createArticle(h, {
      status: 'published',
      publishedAt: new Date(h.clock.now - i * 60_000).toISOString(),
      tags: i % 25 === 0 ? ['rare', 'common'] : ['common'],
    })
  }
  const queries = createArticleQueries(h.db)
  const planOf = (filter: ListFilter) => {
    const { sql, params } = queries.pageSql(filter, options())
    return h.db.$client.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params) as PlanRow[]
  }
  const byTag = (...groups: string[][]): ListFilter => ({ ...anonymous(h.clock.now), tagGroups: groups })
  t.ok(drivenByTag(planOf(byTag([rare!.id]))), `four articles: driven by the tag: ${show(planOf(byTag([rare!.id])))}`)
  t.ok(drivenByTag(planOf(byTag([common!.id], [rare!.id]))), 'the smaller of two groups drives')
  const walked = planOf(byTag([common!.id]))
  t.notOk(drivenByTag(walked), `a hundred: walked: ${show(walked)}`)
  t.match(show(walked), /^SEARCH articles USING INDEX articles_list_idx/)
  // Both ways list the same articles, newest first, and count them alike.
  const ids = async (tag: string) => (await h.app.inject({ url: `/v1/articles?tag=${tag}&limit=100&count=true` })).json()
  const rareList = await ids('rare')
  t.equal(rareList.data.length, 4)
  t.equal(rareList.meta.total, 4)
  const commonList = await ids('common')
  t.equal(commonList.meta.total, 100)
  t.same(commonList.data.filter((a: { tags: { slug: string }[] }) => a.tags.some((tag) => tag.slug === 'rare')).map((a: { id: string }) => a.id), rareList.data.map((a: { id: string }) => a.id))
})

t.test('first pages of the plain sorts come in index order, without sorting every row', async (t) => {
  await eachPlan(t, ['first page'], (name, rows) => {
    t.notOk(rows.some((row) => row.detail.startsWith('USE TEMP B-TREE FOR ORDER BY')), `${name}: ${show(rows)}`)
  })
})

t.test('a list of one source walks that source in its own index, newest first', async (t) => {
  // A rare tag within a source: the list index walked newest first until 20 rows carried both
  // took 16 ms at 100,000 articles; the source's own part of the index, 1.3 ms.
  const h = await build(t)
  const ids = await populate(h, { analyze: false })
  const now = h.clock.now
  const lists: [string, ListFilter][] = [
    ['source=a', { ...anonymous(now), sourceIds: [ids.source] }],
    // Tag a is on 100 of 200 articles: too many to drive the list (smallestDriver).
    ['tag=a and source=a', { ...anonymous(now), tagGroups: [[ids.tagA]], sourceIds: [ids.source] }],
  ]
  for (const [name, filter] of lists) {
    const rows = plan(h, filter, options())
    t.match(show(rows), /^SEARCH articles USING INDEX articles_source_list_idx \(source_id=\? AND status=\? AND sort_at<\?\)/, `${name}: ${show(rows)}`)
    t.notOk(rows.some((row) => row.detail.startsWith('USE TEMP B-TREE')), `${name}: in index order`)
  }
})

t.test('a list with updatedSince, when few articles were updated since, is driven by them', async (t) => {
  // Walked, `updatedSince` with nothing updated since read every row: 792 ms at 100,000 articles.
  const h = await build(t)
  const made: { id: string }[] = []
  for (let i = 0; i < 100; i++) made.push(await createArticle(h, { status: 'published', publishedAt: new Date(h.clock.now - i * 60_000).toISOString() }))
  h.clock.now += 60_000
  const since = h.clock.now
  const edited = [made[10]!.id, made[60]!.id]
  for (const id of edited) await h.app.inject({ method: 'PATCH', url: `/v1/articles/${id}`, headers: { ...h.auth.write, 'content-type': 'application/merge-patch+json' }, payload: { summary: 'Edited.' } })
  const filter = { ...anonymous(h.clock.now), updatedSince: since }
  for (const sort of ['newest', 'oldest'] as const) {
    const rows = plan(h, filter, options({ sort }))
    t.match(show(rows), /^SEARCH articles USING COVERING INDEX articles_status_updated_idx \(status=\? AND updated_at>\?\) \| SEARCH articles USING INTEGER PRIMARY KEY/, `${sort}: ${show(rows)}`)
  }
  t.match(show(plan(h, { ...anonymous(h.clock.now), updatedSince: since - 3_600_000 }, options())), /^SEARCH articles USING INDEX articles_list_idx/, 'most updated since: walked')
  const url = `/v1/articles?updatedSince=${new Date(since).toISOString()}&count=true`
  for (const sort of ['newest', 'oldest'] as const) {
    const body = (await h.app.inject({ url: `${url}&sort=${sort}` })).json()
    t.same(body.data.map((a: { id: string }) => a.id), sort === 'newest' ? edited : [...edited].reverse(), `${sort}: the edited articles, in order`)
    t.equal(body.meta.total, 2)
  }
})

t.test('a list by byline, source or language walks the index of one of them, the likely rarest', async (t) => {
  // Walked through the list index, a byline or language that no article has read every row:
  // 0.7 s at 100,000 articles; on its own index, 0.1 ms.
  const h = await build(t)
  const base = anonymous(h.clock.now)
  const cases: [string, ListFilter, string][] = [
    ['byline', { ...base, byline: 'Ann' }, 'articles_byline_list_idx (byline=? AND status=? AND sort_at<?)'],
    ['language', { ...base, language: 'fr' }, 'articles_language_list_idx (language=? AND status=? AND sort_at<?)'],
    ['language and source', { ...base, language: 'fr', sourceIds: [FAKE.source] }, 'articles_source_list_idx (source_id=? AND status=? AND sort_at<?)'],
    ['byline, source and language', { ...base, byline: 'Ann', language: 'fr', sourceIds: [FAKE.source] }, 'articles_byline_list_idx (byline=? AND status=? AND sort_at<?)'],
    ['byline, sort=oldest', { ...base, byline: 'Ann' }, 'articles_byline_list_idx (byline=? AND status=? AND sort_at<?)'],
  ]
  for (const [name, filter, index] of cases) {
    const rows = plan(h, filter, name.includes('oldest') ? options({ sort: 'oldest' }) : options())
    t.equal(rows[0]?.detail, `SEARCH articles USING INDEX ${index}`, `${name}: ${show(rows)}`)
    t.notOk(rows.some((row) => row.detail.startsWith('USE TEMP B-TREE')), `${name}: in index order`)
  }
})

/**
 * The values of the sort_at tests SQLite may bound an index range with (those without the
 * unary plus), for `op`: it takes the first it meets and tests the rest row by row.
 */
function indexableBounds(h: Harness, filter: ListFilter, opts: ListOptions, op: '<=' | '>='): unknown[] {
  const { sql, params } = createArticleQueries(h.db).pageSql(filter, opts)
  const values: unknown[] = []
  const term = /(\+?)"articles"\."sort_at" (<=|>=) \?/g
  for (const match of sql.matchAll(term)) {
    if (match[1] === '+' || match[2] !== op) continue
    values.push(params[sql.slice(0, match.index).split('?').length - 1])
  }
  return values
}

t.test('a date range bounds the walk by its own ends, a cursor by the cursor', async (t) => {
  // Bounded by the clock instead, a month of 2022 was walked down from today: 6 ms, not 0.02.
  const h = await build(t)
  const now = h.clock.now
  const range = { ...anonymous(now), from: now - 30 * 86_400_000, to: now - 29 * 86_400_000 }
  const key = [now - 29.5 * 86_400_000, 'art_zzzz']
  t.same(indexableBounds(h, range, options(), '<='), [range.to], 'newest: the upper bound is `to`')
  t.same(indexableBounds(h, range, options({ sort: 'oldest' }), '>='), [range.from], 'oldest: the lower bound is `from`')
  t.same(indexableBounds(h, range, options({ seek: { key, direction: 'next' } }), '<='), [], 'going down from a cursor: the cursor bounds it')
  t.same(indexableBounds(h, range, options({ sort: 'oldest', seek: { key, direction: 'next' } }), '>='), [], 'going up from a cursor: the cursor bounds it')
  t.same(indexableBounds(h, anonymous(now), options(), '<='), [now, now], 'no range: the clock bounds it (the status and the visibility test)')
  t.same(indexableBounds(h, anonymous(now), options({ sort: 'oldest', seek: { key, direction: 'prev' } }), '<='), [], 'oldest, previous page: the cursor')
})

t.test('the query the plan test reads is the one the API runs', async (t) => {
  // Guards the test itself: a plan of some other SQL would prove nothing.
  const h = await build(t)
  await populate(h)
  const rows = createArticleQueries(h.db).page(anonymous(h.clock.now), options({ limit: 5 }))
  t.equal(rows.length, 5)
  const res = await h.app.inject({ method: 'GET', url: '/v1/articles?limit=5' })
  t.same(res.json().data.map((a: { id: string }) => a.id), rows.map((r) => r.id))
})

/** The SQL of every statement `run` prepares on the harness's connection (the plans to read). */
function statementsPrepared(h: Harness, run: () => void): string[] {
  const statements: string[] = []
  const prepare = h.db.$client.prepare.bind(h.db.$client)
  h.db.$client.prepare = ((source: string) => {
    statements.push(source)
    return prepare(source)
  }) as typeof h.db.$client.prepare
  try {
    run()
  } finally {
    h.db.$client.prepare = prepare
  }
  return statements
}

t.test('the whole public list counts its facets and total without a scan of the articles', async (t) => {
  // list-counts.ts reads list_counts and the few articles the clock hides; a plan that scans
  // `articles` (a UNION merged in rowid order, the list index for status alone) costs seconds
  // at 1,000,000 articles. Without ANALYZE, as there: statistics of 200 rows hide those plans.
  // Every parameter of these statements is the time `now`.
  const h = await build(t)
  const statements = statementsPrepared(h, () => {
    const counts = createListCounts(h.db)
    counts.total(h.clock.now)
    counts.facets(h.clock.now, ['tag', 'source', 'month'])
  })
  t.equal(statements.length, 4)
  for (const source of statements) {
    const params = Array.from({ length: source.split('?').length - 1 }, () => h.clock.now)
    const rows = h.db.$client.prepare(`EXPLAIN QUERY PLAN ${source}`).all(...params) as PlanRow[]
    t.same(fullScans(rows), [], `${source.replace(/\s+/g, ' ').slice(0, 60)}…: ${show(rows)}`)
    t.ok(rows.some((row) => /^SEARCH articles USING INTEGER PRIMARY KEY/.test(row.detail)), 'hidden articles looked up by rowid')
  }
})

t.test('related articles score a bounded set of candidates per shared tag, never the whole list', async (t) => {
  // Scoring every article that shares a tag walked the list index: 4 s at 1,000,000 articles.
  const h = await build(t)
  const ids = await populate(h, { analyze: false })
  let related: ReturnType<ReturnType<typeof createRelatedQueries>> | undefined
  const statements = statementsPrepared(h, () => {
    related = createRelatedQueries(h.db)('art_none', [ids.tagA, ids.tagB], undefined, null, h.clock.now, 10)
  })
  t.equal(related?.byTags.length, 10, 'candidates found')
  const scoring = statements.find((source) => /GROUP BY "articles"\."id"/i.test(source))
  t.ok(scoring, 'the scoring statement ran')
  const params = [...scoring!.matchAll(/\?/g)].map(() => 1)
  const rows = h.db.$client.prepare(`EXPLAIN QUERY PLAN ${scoring}`).all(...params) as PlanRow[]
  t.same(fullScans(rows), [], show(rows))
  t.notOk(rows.some((row) => /articles_list_idx/.test(row.detail)), `no walk of the list: ${show(rows)}`)
  t.ok(rows.some((row) => /^SEARCH article_tags USING COVERING INDEX article_tags_tag_idx \(tag_id=\?\)/.test(row.detail)), 'each tag read from its index')
})
