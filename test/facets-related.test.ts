import t from 'tap'
import { createArticle, createPublished, createSources, createTag, createTags } from './factories.js'
import { build, type Harness } from './helper.js'
import { badQuery, get, ids, list, withCursor } from './reading.js'

// Facets on the article list, article counts on tags and sources, and related articles
// (issue 3). Counts never include what the caller may not see.

type Facets = { tag?: { slug: string; name: string; count: number }[]; source?: unknown[]; month?: unknown[] }
const facetsOf = async (h: Harness, url: string, headers: Record<string, string> = {}) =>
  (await list(h, url, headers)).meta.facets as Facets

/**
 * Four visible articles over July and August 2015, plus what anonymous callers must not count:
 * a draft, a scheduled (future) article and an archived one.
 */
async function newsroom(h: Harness) {
  await createTags(h, 'syria', 'russia', 'opinion', 'ukraine', 'aardvark')
  await createSources(h, 'bbc', 'cnn', 'ap', 'zed')
  await createPublished(h, { publishedAt: '2015-07-10T10:00:00.000Z', tags: ['syria', 'russia'], source: 'bbc' })
  await createPublished(h, { publishedAt: '2015-07-31T23:59:59.999Z', tags: ['syria'], source: 'bbc' })
  await createPublished(h, { publishedAt: '2015-08-01T00:00:00.000Z', tags: ['russia'], source: 'cnn' })
  await createPublished(h, { publishedAt: '2015-08-06T10:00:00.000Z', tags: ['syria', 'opinion'] })
  await createArticle(h, { tags: ['syria', 'opinion', 'ukraine'], source: 'cnn' }) // draft, created 2026-01
  await createPublished(h, { publishedAt: '2027-01-01T00:00:00.000Z', tags: ['syria', 'ukraine'], source: 'ap' }) // scheduled
  const archived = await createPublished(h, { publishedAt: '2015-09-01T00:00:00.000Z', tags: ['ukraine'], source: 'zed' })
  const res = await h.app.inject({ method: 'PATCH', url: `/v1/articles/${archived.id}`, headers: h.auth.write, payload: { status: 'archived' } })
  if (res.statusCode !== 200) throw new Error(`archive answered ${res.statusCode}: ${res.body}`)
}

t.test('facets=tag,source,month count the current filter', async (t) => {
  const h = await build(t)
  await newsroom(h)
  const all = await facetsOf(h, '/v1/articles?facets=tag,source,month&limit=1')
  t.same(all, {
    tag: [
      { slug: 'syria', name: 'Syria', count: 3 },
      { slug: 'russia', name: 'Russia', count: 2 },
      { slug: 'opinion', name: 'Opinion', count: 1 },
    ],
    source: [
      { slug: 'bbc', name: 'BBC', count: 2 },
      { slug: 'cnn', name: 'CNN', count: 1 },
    ],
    month: [
      { month: '2015-08', count: 2 },
      { month: '2015-07', count: 2 },
    ],
  }, 'whole list, not only the page of one; ties by name')
  const syria = await facetsOf(h, '/v1/articles?tag=syria&facets=tag,source,month')
  t.same(syria, {
    tag: [
      { slug: 'syria', name: 'Syria', count: 3 },
      { slug: 'opinion', name: 'Opinion', count: 1 },
      { slug: 'russia', name: 'Russia', count: 1 },
    ],
    source: [{ slug: 'bbc', name: 'BBC', count: 2 }],
    month: [
      { month: '2015-08', count: 1 },
      { month: '2015-07', count: 2 },
    ],
  })
  const one = await list(h, '/v1/articles?source=cnn&facets=month&count=true')
  t.same(one.meta.facets, { month: [{ month: '2015-08', count: 1 }] }, 'only the facets asked for')
  t.equal(one.meta.total, 1)
  t.notOk('facets' in (await list(h, '/v1/articles')).meta, 'no facets unless asked')
})

t.test('facets and counts leave out drafts and future articles for anonymous and read-key callers', async (t) => {
  const h = await build(t)
  await newsroom(h)
  for (const headers of [{}, h.auth.read]) {
    const { meta } = await list(h, '/v1/articles?tag=ukraine|syria&facets=tag,source,month&count=true', headers)
    t.equal(meta.total, 3, 'three visible published articles')
    const facets = meta.facets as Facets
    t.notOk(facets.tag!.some((f) => f.slug === 'ukraine'), 'no tag only drafts, scheduled or archived articles use')
    t.same(facets.source, [{ slug: 'bbc', name: 'BBC', count: 2 }])
    t.notOk(JSON.stringify(facets.month).includes('2026') || JSON.stringify(facets.month).includes('2027'))
  }
})

t.test('a keyed status=draft list facets only the drafts', async (t) => {
  const h = await build(t)
  await newsroom(h)
  const { meta } = await list(h, '/v1/articles?status=draft&facets=tag,source,month&count=true', h.auth.write)
  t.equal(meta.total, 1)
  t.same(meta.facets, {
    tag: [
      { slug: 'opinion', name: 'Opinion', count: 1 },
      { slug: 'syria', name: 'Syria', count: 1 },
      { slug: 'ukraine', name: 'Ukraine', count: 1 },
    ],
    source: [{ slug: 'cnn', name: 'CNN', count: 1 }],
    month: [{ month: '2026-01', count: 1 }],
  })
})

t.test('an unknown facet is a 400 at /facets', async (t) => {
  const h = await build(t)
  await badQuery(t, h, '/v1/articles?facets=tag,author', '/facets')
  await badQuery(t, h, '/v1/articles?facets=Tag', '/facets')
})

t.test('tags and sources withCounts=true count visible published articles only', async (t) => {
  const h = await build(t)
  await newsroom(h)
  const tags = await list(h, '/v1/tags?withCounts=true')
  t.same(tags.data.map((tag) => [tag.slug, tag.articleCount]), [
    ['aardvark', 0],
    ['opinion', 1],
    ['russia', 2],
    ['syria', 3],
    ['ukraine', 0],
  ], 'by name; drafts, scheduled and archived articles not counted')
  const sources = await list(h, '/v1/sources?withCounts=true')
  t.same(sources.data.map((s) => [s.slug, s.articleCount]), [
    ['ap', 0],
    ['bbc', 2],
    ['cnn', 1],
    ['zed', 0],
  ])
  t.notOk('articleCount' in (await list(h, '/v1/tags')).data[0]!, 'no counts unless asked')
  const keyed = await list(h, '/v1/tags?withCounts=true', h.auth.read)
  t.same(keyed.data.map((tag) => tag.articleCount), [0, 1, 2, 3, 0], 'a read key sees the same counts')
})

t.test('sort=count orders by articleCount, ties by name, and pages with a cursor', async (t) => {
  const h = await build(t)
  await newsroom(h)
  await createTag(h, { slug: 'beta', name: 'Beta' })
  const walk = async (url: string) => {
    const pages = [await list(h, url)]
    while (pages.at(-1)!.meta.nextCursor) pages.push(await list(h, withCursor(url, pages.at(-1)!.meta.nextCursor!)))
    return pages
  }
  const tagPages = await walk('/v1/tags?sort=count&limit=2')
  t.same(tagPages.map((p) => p.data.length), [2, 2, 2])
  t.same(tagPages.flatMap((p) => p.data.map((tag) => [tag.slug, tag.articleCount])), [
    ['syria', 3],
    ['russia', 2],
    ['opinion', 1],
    ['aardvark', 0],
    ['beta', 0],
    ['ukraine', 0],
  ])
  const back = await list(h, withCursor('/v1/tags?sort=count&limit=2', tagPages[2]!.meta.prevCursor!))
  t.same(back.data.map((tag) => tag.slug), ['opinion', 'aardvark'], 'prevCursor goes back')
  const sourcePages = await walk('/v1/sources?sort=count&withCounts=true&limit=3')
  t.same(sourcePages.flatMap((p) => p.data.map((s) => s.slug)), ['bbc', 'cnn', 'ap', 'zed'])
  const nameCursor = (await list(h, '/v1/tags?limit=2')).meta.nextCursor!
  await badQuery(t, h, withCursor('/v1/tags?sort=count&limit=2', nameCursor), '/cursor')
})

/** An article with a rare and a common tag, and the candidates around it. */
async function relatedSet(h: Harness) {
  await createTags(h, 'rare', 'common')
  const at = (day: number) => `2015-07-${String(day).padStart(2, '0')}T12:00:00.000Z`
  const subject = await createPublished(h, { headline: 'Glacier melt report', summary: 'Measurements from the ice sheet', tags: ['common', 'rare'], publishedAt: at(1) })
  const rare = (await createPublished(h, { headline: 'Budget vote', tags: ['rare'], publishedAt: at(2) })).id
  const common = [] as string[]
  for (let day = 3; day < 7; day++) common.push((await createPublished(h, { headline: `Council item ${day}`, tags: ['common'], publishedAt: at(day) })).id)
  const text = (await createPublished(h, { headline: 'Greenland glacier melt accelerates', publishedAt: at(8) })).id
  await createPublished(h, { headline: 'Cricket scores', publishedAt: at(9) }) // unrelated
  const draft = (await createArticle(h, { headline: 'Glacier melt draft', tags: ['rare', 'common'] })).id
  const future = (await createPublished(h, { headline: 'Glacier melt future', tags: ['rare'], publishedAt: '2027-01-01T00:00:00.000Z' })).id
  return { subject, rare, common, text, hidden: [draft, future] }
}

t.test('related: rarer shared tags first, then common ones, then similar wording; never itself', async (t) => {
  const h = await build(t)
  const s = await relatedSet(h)
  for (const ref of [s.subject.id, s.subject.slug]) {
    const got = await ids(h, `/v1/articles/${ref}/related`)
    t.equal(got[0], s.rare, `${ref}: the article sharing the rare tag first`)
    t.same([...got.slice(1, 5)].sort(), [...s.common].sort(), 'then those sharing the common tag')
    t.equal(got[5], s.text, 'then the text-similar article with no shared tag')
    t.equal(got.length, 6, 'nothing unrelated')
    t.notOk(got.includes(s.subject.id), 'never the article itself')
    for (const hidden of s.hidden) t.notOk(got.includes(hidden), 'no draft or future article')
  }
  const first = (await list(h, `/v1/articles/${s.subject.id}/related`)).data[0]!
  t.match(first, { id: s.rare, slug: String, headline: 'Budget vote', tags: [{ slug: 'rare' }] })
  t.notOk('body' in first, 'summaries, without the body')
})

t.test('related: drafts never appear for anonymous callers, and limit is respected', async (t) => {
  const h = await build(t)
  const s = await relatedSet(h)
  const two = await ids(h, `/v1/articles/${s.subject.id}/related?limit=2`)
  t.equal(two.length, 2)
  t.equal(two[0], s.rare)
  t.ok(s.common.includes(two[1]!))
  t.equal((await ids(h, `/v1/articles/${s.subject.id}/related?limit=1`)).length, 1)
  t.same(await ids(h, `/v1/articles/${s.subject.id}/related?limit=50`), await ids(h, `/v1/articles/${s.subject.id}/related`))
  await badQuery(t, h, `/v1/articles/${s.subject.id}/related?limit=0`, '/limit')
  await badQuery(t, h, `/v1/articles/${s.subject.id}/related?limit=51`, '/limit')
  for (const headers of [{}, h.auth.read]) {
    const got = await ids(h, `/v1/articles/${s.rare}/related?limit=50`, headers)
    t.ok(got.includes(s.subject.id))
    for (const hidden of s.hidden) t.notOk(got.includes(hidden), 'hidden stays hidden')
  }
  const draftRelated = await get(h, `/v1/articles/${s.hidden[0]}/related`)
  t.equal(draftRelated.statusCode, 404, 'the related list of a draft is a 404 anonymously')
})

t.test('related: an unknown article is a 404 problem', async (t) => {
  const h = await build(t)
  const res = await get(h, '/v1/articles/no-such-article/related')
  t.equal(res.statusCode, 404)
  t.match(res.headers['content-type'], /^application\/problem\+json/)
  t.match(res.json(), { status: 404, type: String, detail: String })
})

t.test('past the 20th tag, ties are broken by name, on the whole list and on a filtered one', async (t) => {
  const h = await build(t)
  // 25 tags used once each, made in reverse order, and one used twice.
  const slugs = Array.from({ length: 25 }, (_, i) => `t${String(24 - i).padStart(2, '0')}`)
  await createTags(h, ...slugs, 'zz-popular')
  for (const slug of slugs) await createPublished(h, { publishedAt: '2015-07-10T10:00:00.000Z', tags: [slug] })
  await createPublished(h, { publishedAt: '2015-07-11T10:00:00.000Z', tags: ['zz-popular'] })
  await createPublished(h, { publishedAt: '2015-07-12T10:00:00.000Z', tags: ['zz-popular'] })
  const expected = ['zz-popular', ...[...slugs].sort().slice(0, 19)]
  for (const url of ['/v1/articles?facets=tag', '/v1/articles?facets=tag&from=2015-01-01']) {
    const facets = await facetsOf(h, url)
    t.same(facets.tag!.map((f) => f.slug), expected, url)
    t.equal(facets.tag![0]!.count, 2)
  }
})
