import t from 'tap'
import { createArticle, createPublished, createSources, createTag, createTags } from './factories.js'
import { build, type Harness } from './helper.js'
import { badQuery, get, ids, iso, list, withCursor } from './reading.js'

// Filters, sorts, sparse fieldsets and counts on GET /v1/articles (issue 3).

const DAY = Date.parse('2015-07-23T00:00:00.000Z')
const HOUR = 3_600_000
const at = (hours: number) => iso(DAY + hours * HOUR)

/** Five articles over three tags (one of them a place), published an hour apart. */
async function taggedSet(h: Harness) {
  await createTags(h, 'syria', 'russia', 'opinion')
  await createTag(h, { slug: 'damascus', name: 'Damascus', kind: 'place' })
  const make = (hours: number, tags: string[]) => createPublished(h, { publishedAt: at(hours), tags })
  return {
    both: (await make(1, ['syria', 'russia', 'damascus'])).id,
    syria: (await make(2, ['syria'])).id,
    russia: (await make(3, ['russia'])).id,
    opinion: (await make(4, ['opinion', 'syria'])).id,
    none: (await make(5, [])).id,
  }
}

t.test('tag=a,b lists articles tagged with both (tags of any kind)', async (t) => {
  const h = await build(t)
  const a = await taggedSet(h)
  t.same(await ids(h, '/v1/articles?tag=syria,russia'), [a.both])
  t.same(await ids(h, '/v1/articles?tag=damascus,syria'), [a.both], 'a place tag matches by slug like any other')
  t.same(await ids(h, '/v1/articles?tag=syria'), [a.opinion, a.syria, a.both], 'one tag, newest first')
})

t.test('tag=a|b lists articles tagged with either', async (t) => {
  const h = await build(t)
  const a = await taggedSet(h)
  t.same(await ids(h, '/v1/articles?tag=russia|opinion'), [a.opinion, a.russia, a.both])
  t.same(await ids(h, '/v1/articles?tag=syria|russia,opinion'), [a.opinion], 'an OR group AND another tag')
})

t.test('tag=a,-b excludes articles with b', async (t) => {
  const h = await build(t)
  const a = await taggedSet(h)
  t.same(await ids(h, '/v1/articles?tag=syria,-opinion'), [a.syria, a.both])
  t.same(await ids(h, '/v1/articles?tag=-syria'), [a.none, a.russia], 'exclusion alone')
  t.same(await ids(h, '/v1/articles?tag=syria,-russia,-opinion'), [a.syria])
})

t.test('unknown tag slugs: AND with one is empty, OR and NOT ignore it; never an error', async (t) => {
  const h = await build(t)
  const a = await taggedSet(h)
  const and = await get(h, '/v1/articles?tag=syria,no-such-tag')
  t.equal(and.statusCode, 200)
  t.same(and.json().data, [], 'nothing has a tag that does not exist')
  t.same(await ids(h, '/v1/articles?tag=no-such-tag'), [])
  t.same(await ids(h, '/v1/articles?tag=russia|no-such-tag'), [a.russia, a.both])
  t.same(await ids(h, '/v1/articles?tag=russia,-no-such-tag'), [a.russia, a.both])
})

t.test('source=x,y lists articles from any of those sources', async (t) => {
  const h = await build(t)
  await createSources(h, 'bbc', 'cnn', 'ap')
  const bbc = (await createPublished(h, { source: 'bbc', publishedAt: at(1) })).id
  const cnn = (await createPublished(h, { source: 'cnn', publishedAt: at(2) })).id
  await createPublished(h, { source: 'ap', publishedAt: at(3) })
  await createPublished(h, { publishedAt: at(4) })
  t.same(await ids(h, '/v1/articles?source=bbc'), [bbc])
  t.same(await ids(h, '/v1/articles?source=bbc,cnn'), [cnn, bbc])
  t.same(await ids(h, '/v1/articles?source=cnn,no-such-source'), [cnn], 'an unknown source adds nothing')
  t.same(await ids(h, '/v1/articles?source=no-such-source'), [])
})

t.test('from/to with dates cover whole UTC days, both ends inclusive', async (t) => {
  const h = await build(t)
  const mk = async (when: string) => (await createPublished(h, { publishedAt: when })).id
  const before = await mk('2015-07-22T23:59:59.999Z')
  const first = await mk('2015-07-23T00:00:00.000Z')
  const last = await mk('2015-07-23T23:59:59.999Z')
  const next = await mk('2015-07-24T00:00:00.000Z')
  t.same(await ids(h, '/v1/articles?from=2015-07-23&to=2015-07-23'), [last, first], 'the one day')
  t.same(await ids(h, '/v1/articles?from=2015-07-23'), [next, last, first])
  t.same(await ids(h, '/v1/articles?to=2015-07-23'), [last, first, before])
  t.same(await ids(h, '/v1/articles?from=2015-07-24&to=2015-07-24'), [next])
})

t.test('from/to with date-times are exact instants, inclusive, any offset', async (t) => {
  const h = await build(t)
  const ids3 = [] as string[]
  for (const hours of [1, 2, 3]) ids3.push((await createPublished(h, { publishedAt: at(hours) })).id)
  const [one, two, three] = ids3 as [string, string, string]
  t.same(await ids(h, `/v1/articles?from=${at(2)}`), [three, two])
  t.same(await ids(h, `/v1/articles?to=${at(2)}`), [two, one])
  t.same(await ids(h, `/v1/articles?from=${iso(DAY + 2 * HOUR + 1)}&to=${at(3)}`), [three], 'one millisecond later')
  const offset = encodeURIComponent('2015-07-23T04:00:00+02:00') // 02:00Z
  t.same(await ids(h, `/v1/articles?from=${offset}&to=${offset}`), [two], 'an offset is converted to UTC')
})

t.test('updatedSince lists what changed at or after an instant', async (t) => {
  const h = await build(t)
  const start = h.clock.now
  const first = (await createPublished(h, { publishedAt: at(1) })).id
  h.clock.now = start + 60_000
  const second = (await createPublished(h, { publishedAt: at(2) })).id
  h.clock.now = start + 120_000
  t.equal((await h.app.inject({ method: 'PATCH', url: `/v1/articles/${first}`, headers: h.auth.write, payload: { summary: 'Edited' } })).statusCode, 200)
  t.same(await ids(h, `/v1/articles?updatedSince=${iso(start)}`), [second, first], 'everything')
  t.same(await ids(h, `/v1/articles?updatedSince=${iso(start + 60_000)}`), [second, first], 'inclusive')
  t.same(await ids(h, `/v1/articles?updatedSince=${iso(start + 60_001)}`), [first], 'only the edit')
  t.same(await ids(h, `/v1/articles?updatedSince=${iso(start + 120_001)}`), [])
})

t.test('language and byline filter exactly', async (t) => {
  const h = await build(t)
  const fr = (await createPublished(h, { language: 'fr', byline: 'Jane Doe', publishedAt: at(1) })).id
  const en = (await createPublished(h, { language: 'en', byline: 'Jane Doe Jr', publishedAt: at(2) })).id
  const pt = (await createPublished(h, { language: 'pt-BR', byline: 'jane doe', publishedAt: at(3) })).id
  t.same(await ids(h, '/v1/articles?language=fr'), [fr])
  t.same(await ids(h, '/v1/articles?language=pt-BR'), [pt])
  t.same(await ids(h, '/v1/articles?language=de'), [])
  t.same(await ids(h, `/v1/articles?byline=${encodeURIComponent('Jane Doe')}`), [fr], 'not a prefix, not another case')
  t.same(await ids(h, `/v1/articles?byline=${encodeURIComponent('Jane Doe Jr')}`), [en])
})

t.test('status: archived for anyone; draft needs a write key (401 anonymous, 403 read key)', async (t) => {
  const h = await build(t)
  const archived = (await createPublished(h, { publishedAt: at(1) })).id
  const published = (await createPublished(h, { publishedAt: at(2) })).id
  const draft = (await createArticle(h)).id
  const patch = await h.app.inject({ method: 'PATCH', url: `/v1/articles/${archived}`, headers: h.auth.write, payload: { status: 'archived' } })
  t.equal(patch.statusCode, 200)
  t.same(await ids(h, '/v1/articles'), [published], 'the default list is published only')
  t.same(await ids(h, '/v1/articles?status=archived'), [archived], 'archived, anonymously')
  const anonymous = await get(h, '/v1/articles?status=draft')
  t.equal(anonymous.statusCode, 401)
  t.match(anonymous.headers['www-authenticate'], /^Bearer/)
  t.match(anonymous.headers['content-type'], /^application\/problem\+json/)
  const read = await get(h, '/v1/articles?status=draft', h.auth.read)
  t.equal(read.statusCode, 403)
  t.match(read.headers['content-type'], /^application\/problem\+json/)
  t.same(await ids(h, '/v1/articles?status=draft', h.auth.write), [draft], 'write key: the drafts')
})

t.test('sort=newest|oldest|updated', async (t) => {
  const h = await build(t)
  const made = [] as string[]
  for (const hours of [1, 2, 3]) made.push((await createPublished(h, { publishedAt: at(hours) })).id)
  const [one, two, three] = made as [string, string, string]
  for (const id of [two, one, three]) {
    h.clock.now += 1000
    await h.app.inject({ method: 'PATCH', url: `/v1/articles/${id}`, headers: h.auth.write, payload: { summary: `now ${h.clock.now}` } })
  }
  t.same(await ids(h, '/v1/articles'), [three, two, one], 'newest by default')
  t.same(await ids(h, '/v1/articles?sort=newest'), [three, two, one])
  t.same(await ids(h, '/v1/articles?sort=oldest'), [one, two, three])
  t.same(await ids(h, '/v1/articles?sort=updated'), [three, one, two], 'last updated first')
})

t.test('fields picks exactly the fields named; lists leave the body out unless asked', async (t) => {
  const h = await build(t)
  await createPublished(h, { body: 'The whole body.', summary: 'A summary' })
  const picked = await list(h, '/v1/articles?fields=id,slug,headline')
  t.equal(picked.data.length, 1)
  t.same(Object.keys(picked.data[0]!).sort(), ['headline', 'id', 'slug'])
  const withBody = await list(h, '/v1/articles?fields=id,body')
  t.same(Object.keys(withBody.data[0]!).sort(), ['body', 'id'])
  t.equal(withBody.data[0]!.body, 'The whole body.')
  t.equal((await list(h, '/v1/articles?fields=body')).data[0]!.body, 'The whole body.', 'fields=body brings the body')
  const plain = (await list(h, '/v1/articles')).data[0]!
  for (const field of ['body', 'bodyHtml', 'bodyText']) t.notOk(field in plain, `no ${field} by default`)
  t.match(plain, { id: String, slug: String, headline: String, summary: 'A summary', tags: Array, version: 1 })
})

t.test('count=true adds meta.total for the filter, not the page', async (t) => {
  const h = await build(t)
  await createTags(h, 'x')
  for (let i = 0; i < 5; i++) await createPublished(h, { tags: ['x'], publishedAt: at(i) })
  for (let i = 0; i < 3; i++) await createPublished(h, { publishedAt: at(10 + i) })
  await createArticle(h, { tags: ['x'] }) // a draft: not counted
  const counted = await list(h, '/v1/articles?tag=x&count=true&limit=2')
  t.equal(counted.data.length, 2)
  t.equal(counted.meta.total, 5)
  t.equal((await list(h, '/v1/articles?count=true')).meta.total, 8)
  t.equal((await list(h, '/v1/articles?tag=x&count=true&status=draft', h.auth.write)).meta.total, 1)
  t.notOk('total' in (await list(h, '/v1/articles?tag=x')).meta, 'no total unless asked')
})

t.test('filters combine: tag, source, language, dates and byline together', async (t) => {
  const h = await build(t)
  await createTags(h, 'syria', 'opinion')
  await createSources(h, 'bbc', 'cnn')
  const base = { tags: ['syria'], source: 'bbc', language: 'en', byline: 'Ann', publishedAt: at(5) }
  const hit = (await createPublished(h, base)).id
  await createPublished(h, { ...base, tags: ['syria', 'opinion'] })
  await createPublished(h, { ...base, source: 'cnn' })
  await createPublished(h, { ...base, language: 'fr' })
  await createPublished(h, { ...base, byline: 'Bob' })
  await createPublished(h, { ...base, publishedAt: at(30) })
  await createPublished(h, { ...base, tags: [] })
  const url = '/v1/articles?tag=syria,-opinion&source=bbc,ap&language=en&byline=Ann&from=2015-07-23&to=2015-07-23&count=true'
  const result = await list(h, url)
  t.same(result.data.map((a) => a.id), [hit])
  t.equal(result.meta.total, 1)
  t.equal((await list(h, '/v1/articles?tag=syria&source=bbc&language=en&count=true')).meta.total, 4, 'fewer filters, more rows')
})

t.test('invalid values and combinations are 400 problems naming the field', async (t) => {
  const h = await build(t)
  await badQuery(t, h, '/v1/articles?from=2015-07-24&to=2015-07-23', '/from')
  await badQuery(t, h, `/v1/articles?from=${at(5)}&to=${at(4)}`, '/from')
  await badQuery(t, h, '/v1/articles?from=yesterday', '/from')
  await badQuery(t, h, '/v1/articles?from=2015-13-01', '/from')
  await badQuery(t, h, '/v1/articles?to=23/07/2015', '/to')
  await badQuery(t, h, '/v1/articles?updatedSince=soon', '/updatedSince')
  await badQuery(t, h, '/v1/articles?sort=popular', '/sort')
  await badQuery(t, h, '/v1/articles?sort=relevance', '/sort')
  await badQuery(t, h, '/v1/articles?fields=id,password', '/fields')
  await badQuery(t, h, '/v1/articles?highlight=true', '/highlight')
  await badQuery(t, h, '/v1/articles?language=e', '/language')
  await badQuery(t, h, '/v1/articles?source=BBC!', '/source')
  await badQuery(t, h, '/v1/articles?status=secret', '/status')
  for (const tag of ['syria,,russia', 'syria|', '-', 'Syria', 'a b', '--x']) {
    await badQuery(t, h, `/v1/articles?tag=${encodeURIComponent(tag)}`, '/tag')
  }
  const same = await get(h, '/v1/articles?from=2015-07-23&to=2015-07-23')
  t.equal(same.statusCode, 200, 'from equal to to is fine')
})

t.test('cursor pagination works with a filter and a sort', async (t) => {
  const h = await build(t)
  await createTags(h, 'x')
  const expected = [] as string[]
  for (let i = 0; i < 5; i++) {
    expected.push((await createPublished(h, { tags: ['x'], publishedAt: at(2 * i) })).id)
    await createPublished(h, { publishedAt: at(2 * i + 1) }) // interleaved, not tagged
  }
  const url = '/v1/articles?tag=x&sort=oldest&limit=2'
  const first = await list(h, url)
  t.same(first.data.map((a) => a.id), expected.slice(0, 2))
  const second = await list(h, withCursor(url, first.meta.nextCursor!))
  t.same(second.data.map((a) => a.id), expected.slice(2, 4))
  const third = await list(h, withCursor(url, second.meta.nextCursor!))
  t.same(third.data.map((a) => a.id), expected.slice(4))
  t.equal(third.meta.nextCursor, null)
  const back = await list(h, withCursor(url, second.meta.prevCursor!))
  t.same(back.data.map((a) => a.id), expected.slice(0, 2), 'and back')
})

t.test('a cursor made for one filter is a 400 at /cursor with another', async (t) => {
  const h = await build(t)
  await createTags(h, 'x', 'y')
  for (let i = 0; i < 3; i++) await createPublished(h, { tags: ['x', 'y'], publishedAt: at(i) })
  const cursor = (await list(h, '/v1/articles?tag=x&limit=1')).meta.nextCursor!
  await badQuery(t, h, withCursor('/v1/articles?tag=y&limit=1', cursor), '/cursor')
  await badQuery(t, h, withCursor('/v1/articles?tag=x&sort=oldest&limit=1', cursor), '/cursor')
  await badQuery(t, h, withCursor('/v1/articles?tag=x&language=en&limit=1', cursor), '/cursor')
  t.equal((await get(h, withCursor('/v1/articles?tag=x&limit=1&fields=id', cursor))).statusCode, 200, 'fields do not change the rows')
})
