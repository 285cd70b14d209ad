import t from 'tap'
import { createArticleQueries, type ListFilter, type ListOptions } from '../src/modules/articles/article-queries.js'
import { toMatchExpression } from '../src/modules/articles/search-query.js'
import { visibleTo } from '../src/modules/articles/visibility.js'
import { createArticle, createSources, createTags } from './factories.js'
import { build, type Harness } from './helper.js'

// Issue 3: every filter, sort and search runs on an index. The main list queries, as the
// query builder writes them, must never scan the whole articles table.

type PlanRow = { id: number; parent: number; detail: string }

const anonymous = (now: number): ListFilter => ({
  now,
  status: 'published',
  visible: visibleTo(null, now),
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
  const { sql, params } = createArticleQueries(h.db).page(filter, opts).toSQL()
  return h.db.$client.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params) as PlanRow[]
}

const fullScans = (rows: PlanRow[]) => rows.filter((row) => /^SCAN articles\b/.test(row.detail))
const show = (rows: PlanRow[]) => rows.map((row) => row.detail).join(' | ')

type Ids = { tagA: string; tagB: string; source: string }
const FAKE: Ids = { tagA: 'tag_a', tagB: 'tag_b', source: 'src_a' }

/** Rows made through the API, then fresh statistics, so the planner chooses as on a real database. */
async function populate(h: Harness): Promise<Ids> {
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
  h.db.$client.exec('ANALYZE')
  return { tagA: tagA!.id, tagB: tagB!.id, source: source!.id }
}

const cases = (now: number, { tagA, tagB, source }: Ids): [string, ListFilter, ListOptions][] => {
  const base = anonymous(now)
  const search = { ...base, match: toMatchExpression('syria') }
  return [
    ['sort=newest', base, options()],
    ['sort=oldest', base, options({ sort: 'oldest' })],
    ['sort=updated', base, options({ sort: 'updated' })],
    ['status=published, anonymous', base, options()],
    ['status=archived, anonymous', { ...base, status: 'archived' }, options()],
    ['status=draft, write key', { ...base, status: 'draft', visible: visibleTo({ keyId: 'k', name: 'k', scope: 'write' }, now) }, options()],
    ['tag=a', { ...base, tagGroups: [[tagA]] }, options()],
    ['tag=a,b|c,-d', { ...base, tagGroups: [[tagA], [tagB, 'tag_c']], excludedTagIds: ['tag_d'] }, options()],
    ['source=a', { ...base, sourceIds: [source] }, options()],
    ['source=a with sort=oldest', { ...base, sourceIds: [source] }, options({ sort: 'oldest' })],
    ['from/to', { ...base, from: now - 86_400_000, to: now }, options()],
    ['updatedSince, sort=updated', { ...base, updatedSince: now - 86_400_000 }, options({ sort: 'updated' })],
    ['language and byline', { ...base, language: 'en', byline: 'Ann' }, options()],
    ['q, sort=relevance', search, options({ sort: 'relevance' })],
    ['q, sort=newest', search, options()],
    ['q with highlight', search, options({ sort: 'relevance', highlight: true })],
    ['deep page, newest', base, options({ seek: { key: [now - 5000 * 60_000, 'art_5000'], direction: 'next' } })],
    ['deep page, prev', base, options({ seek: { key: [now - 5000 * 60_000, 'art_5000'], direction: 'prev' } })],
    ['deep page, oldest', base, options({ sort: 'oldest', seek: { key: [now - 5000 * 60_000, 'art_5000'], direction: 'next' } })],
    ['deep page, updated', base, options({ sort: 'updated', seek: { key: [now, 'art_5000'], direction: 'next' } })],
    ['deep page with a tag', { ...base, tagGroups: [[tagA]] }, options({ seek: { key: [now - 5000 * 60_000, 'art_5000'], direction: 'next' } })],
  ]
}

for (const withStatistics of [false, true]) {
  const label = withStatistics ? 'after ANALYZE on 200 rows' : 'on a fresh database'
  t.test(`no list query scans the whole articles table (${label})`, async (t) => {
    const h = await build(t)
    const ids = withStatistics ? await populate(h) : FAKE
    for (const [name, filter, opts] of cases(h.clock.now, ids)) {
      const rows = plan(h, filter, opts)
      t.ok(rows.length > 0, `${name}: has a plan`)
      t.same(fullScans(rows), [], `${name}: ${show(rows)}`)
      t.ok(
        rows.some((row) => /^SEARCH articles USING (COVERING )?INDEX|^SEARCH articles USING INTEGER PRIMARY KEY/.test(row.detail)),
        `${name}: reads articles through an index`,
      )
    }
  })
}

t.test('the query the plan test reads is the one the API runs', async (t) => {
  // Guards the test itself: a plan of some other SQL would prove nothing.
  const h = await build(t)
  await populate(h)
  const rows = createArticleQueries(h.db).page(anonymous(h.clock.now), options({ limit: 5 })).all()
  t.equal(rows.length, 5)
  const res = await h.app.inject({ method: 'GET', url: '/v1/articles?limit=5' })
  t.same(res.json().data.map((a: { id: string }) => a.id), rows.map((r) => r.id))
})
