import { extractFromJson, extractFromXml, type FeedData } from '@extractus/feed-extractor'
import { SaxesParser } from 'saxes'
import t from 'tap'
import { createArticle, createPublished, createTags, seedArticleParts } from './factories.js'
import { build, type Harness } from './helper.js'

// Every feed is read back with an independent parser (@extractus/feed-extractor); `raw` keeps
// the parsed elements it does not normalise (categories, enclosures, dates, links). That parser
// forgives malformed XML, so every XML feed also goes through a strict one (saxes) first.

type Raw = Record<string, any>
const OPTIONS = {
  descriptionMaxLen: 0,
  xmlParserOptions: { parseTagValue: false },
  getExtraFeedFields: (feed: Raw) => ({ raw: feed }),
  getExtraEntryFields: (entry: Raw) => ({ raw: entry }),
}
const all = <T>(value: T | T[] | undefined): T[] => (value === undefined ? [] : Array.isArray(value) ? value : [value])
const FORMATS = ['rss', 'atom', 'json'] as const
type Format = (typeof FORMATS)[number]

async function fetchFeed(h: Harness, format: Format, query = '', headers: Record<string, string> = {}) {
  const url = query.startsWith('http') ? query : `/v1/feeds/articles.${format}${query}`
  const res = await h.app.inject({ url, headers })
  if (res.statusCode !== 200) throw new Error(`GET ${url} answered ${res.statusCode}: ${res.body}`)
  if (format !== 'json') new SaxesParser({ xmlns: true }).write(res.body).close() // throws unless well-formed
  const feed: FeedData = format === 'json' ? extractFromJson(res.body, OPTIONS) : extractFromXml(res.body, OPTIONS)
  return { res, feed, raw: feed.raw as Raw, entries: (feed.entries ?? []).map((e) => ({ ...e, raw: e.raw as Raw })) }
}
const entryIds = async (h: Harness, format: Format, query = '') => (await fetchFeed(h, format, query)).entries.map((e) => e.id)

/** The seed article, tagged, with a summary and an image; and its full representation. */
async function seedArticle(h: Harness) {
  await createTags(h, 'syria', 'russia')
  const seed = seedArticleParts()
  const created = await createPublished(h, {
    headline: seed.headline,
    body: seed.body,
    byline: seed.byline,
    publishedAt: seed.publishedAt,
    summary: 'Syria’s foreign minister backs the plan.',
    tags: ['syria', 'russia'],
    image: { url: 'https://img.example/photos/moallem.JPG', caption: seed.caption },
  })
  return { seed, article: (await h.app.inject({ url: `/v1/articles/${created.id}` })).json() }
}

t.test('RSS 2.0: entry values, categories, enclosure and media type', async (t) => {
  const h = await build(t)
  const { seed, article } = await seedArticle(h)
  const { res, raw, entries } = await fetchFeed(h, 'rss')
  t.equal(res.headers['content-type'], 'application/rss+xml; charset=utf-8')
  t.equal(raw.link, 'http://localhost/v1/articles')
  t.same(all(raw['atom:link']).find((l) => l['@_rel'] === 'self')?.['@_href'], 'http://localhost/v1/feeds/articles.rss')
  t.equal(entries.length, 1)
  const [entry] = entries
  t.equal(entry!.raw.guid['#text'], `urn:newsdesk:article:${article.id}`)
  t.equal(entry!.raw.guid['@_isPermaLink'], 'false')
  t.equal(entry!.title, seed.headline, 'the headline, curly quotes and all')
  t.equal(entry!.link, `http://localhost/v1/articles/${article.id}`)
  t.equal(new Date(entry!.raw.pubDate).toISOString(), seed.publishedAt)
  t.equal(entry!.raw['atom:updated'], article.updatedAt)
  t.equal(entry!.raw.description, 'Syria’s foreign minister backs the plan.')
  t.equal(entry!.raw['content:encoded'], article.bodyHtml, 'the full body HTML')
  t.equal(entry!.raw['dc:creator'], seed.byline)
  const categories = all(entry!.raw.category).map((c) => [c['#text'], c['@_domain']])
  t.same(categories, [['Syria', 'http://localhost/v1/tags/syria'], ['Russia', 'http://localhost/v1/tags/russia']])
  t.same(entry!.raw.enclosure, { '@_url': 'https://img.example/photos/moallem.JPG', '@_type': 'image/jpeg', '@_length': '0' })
})

t.test('Atom 1.0: entry values, categories, enclosure and media type', async (t) => {
  const h = await build(t)
  const { seed, article } = await seedArticle(h)
  const { res, raw, entries } = await fetchFeed(h, 'atom')
  t.equal(res.headers['content-type'], 'application/atom+xml; charset=utf-8')
  t.equal(raw.id, 'http://localhost/v1/feeds/articles.atom')
  t.equal(raw.updated, article.updatedAt, 'the feed is as new as its newest entry')
  const links = Object.fromEntries(all(raw.link).map((l) => [l['@_rel'], l['@_href']]))
  t.match(links, { alternate: 'http://localhost/v1/articles', self: 'http://localhost/v1/feeds/articles.atom' })
  t.notOk(links.next, 'one page only')
  const entry = entries[0]!.raw
  t.equal(entry.id, `urn:newsdesk:article:${article.id}`)
  t.equal(entry.title['#text'], seed.headline)
  t.equal(entry.published, seed.publishedAt)
  t.equal(entry.updated, article.updatedAt)
  t.equal(entry.summary['#text'], 'Syria’s foreign minister backs the plan.')
  t.equal(entry.content['@_type'], 'html')
  t.equal(entry.content['#text'], article.bodyHtml)
  t.equal(entry.author.name, seed.byline)
  const categories = all(entry.category).map((c) => [c['@_term'], c['@_label'], c['@_scheme']])
  t.same(categories, [['syria', 'Syria', 'http://localhost/v1/tags'], ['russia', 'Russia', 'http://localhost/v1/tags']])
  const [alternate, enclosure] = all(entry.link)
  t.equal(alternate['@_href'], `http://localhost/v1/articles/${article.id}`)
  t.same(enclosure, { '@_rel': 'enclosure', '@_href': 'https://img.example/photos/moallem.JPG', '@_type': 'image/jpeg' })
})

t.test('JSON Feed 1.1: version, authors, language and entry values', async (t) => {
  const h = await build(t)
  const { seed, article } = await seedArticle(h)
  const { res, raw } = await fetchFeed(h, 'json', '?language=en')
  t.equal(res.headers['content-type'], 'application/feed+json; charset=utf-8')
  t.equal(raw.version, 'https://jsonfeed.org/version/1.1')
  t.same(raw.authors, [{ name: 'Newsdesk' }])
  t.equal(raw.language, 'en')
  t.equal(raw.feed_url, 'http://localhost/v1/feeds/articles.json?language=en')
  t.equal(raw.home_page_url, 'http://localhost/v1/articles?language=en')
  t.notOk('next_url' in raw, 'no next page')
  const [item] = raw.items
  t.match(item, {
    id: `urn:newsdesk:article:${article.id}`,
    url: `http://localhost/v1/articles/${article.id}`,
    title: seed.headline,
    summary: 'Syria’s foreign minister backs the plan.',
    content_html: article.bodyHtml,
    date_published: seed.publishedAt,
    date_modified: article.updatedAt,
    authors: [{ name: seed.byline }],
    tags: ['Syria', 'Russia'],
    language: 'en',
    image: 'https://img.example/photos/moallem.JPG',
    attachments: [{ url: 'https://img.example/photos/moallem.JPG', mime_type: 'image/jpeg' }],
  })
})

t.test('the seed article’s text survives every format', async (t) => {
  const h = await build(t)
  const { seed, article } = await seedArticle(h)
  const lastParagraph = seed.body.split('\n\n').at(-1)!
  for (const format of FORMATS) {
    const { entries } = await fetchFeed(h, format)
    const content = format === 'json' ? entries[0]!.raw.content_html : format === 'rss' ? entries[0]!.raw['content:encoded'] : entries[0]!.raw.content['#text']
    t.equal(entries[0]!.title, seed.headline, `${format}: headline`)
    t.equal(content, article.bodyHtml, `${format}: body`)
    t.ok(content.includes(lastParagraph.slice(0, 60)), `${format}: the last paragraph is there`)
  }
})

t.test('entry ids and links stay the same when an article is edited', async (t) => {
  const h = await build(t)
  const a = await createPublished(h, { headline: 'Before', canonicalUrl: 'https://news.example/a?x=1&y=2' })
  const before = await Promise.all(FORMATS.map((f) => fetchFeed(h, f)))
  h.clock.now += 60_000
  const patched = await h.app.inject({ method: 'PATCH', url: `/v1/articles/${a.id}`, headers: h.auth.write, payload: { headline: 'After', slug: 'after' } })
  t.equal(patched.statusCode, 200)
  for (const [i, format] of FORMATS.entries()) {
    const { entries } = await fetchFeed(h, format)
    t.equal(entries[0]!.id, before[i]!.entries[0]!.id, `${format}: same id`)
    t.equal(entries[0]!.id, `urn:newsdesk:article:${a.id}`)
    t.equal(entries[0]!.link, 'https://news.example/a?x=1&y=2', `${format}: the canonical URL is the link`)
    t.equal(entries[0]!.title, 'After', `${format}: the new headline`)
  }
  const atom = await fetchFeed(h, 'atom')
  t.equal(atom.entries[0]!.raw.updated, new Date(h.clock.now).toISOString(), 'updated moved on')
  t.equal(atom.entries[0]!.raw.published, a.publishedAt, 'published did not')
})

t.test('only what anonymous readers may see, even for a key holder', async (t) => {
  const h = await build(t)
  const now = h.clock.now
  const later = new Date(now + 3_600_000).toISOString()
  const visible = await createPublished(h, { headline: 'Visible' })
  await createArticle(h, { headline: 'Draft' })
  const scheduled = await createPublished(h, { headline: 'Scheduled', publishedAt: later })
  const embargoed = await createPublished(h, { headline: 'Embargoed', embargoedUntil: later })
  const archived = await createPublished(h, { headline: 'Archived' })
  const withdrawn = await createPublished(h, { headline: 'Withdrawn' })
  const deleted = await createPublished(h, { headline: 'Deleted' })
  const post = (url: string, payload?: object) => h.app.inject({ method: 'POST', url, headers: h.auth.write, payload })
  t.equal((await post(`/v1/articles/${archived.id}/archive`)).statusCode, 200)
  t.equal((await post(`/v1/articles/${withdrawn.id}/withdraw`, { reason: 'Legal' })).statusCode, 200)
  t.equal((await h.app.inject({ method: 'DELETE', url: `/v1/articles/${deleted.id}`, headers: h.auth.write })).statusCode, 204)
  for (const format of FORMATS) {
    t.same(await entryIds(h, format), [`urn:newsdesk:article:${visible.id}`], `${format}: anonymous`)
    const keyed = await fetchFeed(h, format, '', h.auth.write)
    t.same(keyed.entries.map((e) => e.id), [`urn:newsdesk:article:${visible.id}`], `${format}: write key`)
  }
  h.clock.now = now + 3_600_001
  const expected = [visible, scheduled, embargoed].map((a) => `urn:newsdesk:article:${a.id}`).sort()
  t.same((await entryIds(h, 'rss')).sort(), expected, 'scheduled and embargoed appear when their time comes')
})

t.test('the list’s filters apply: tag, q, source', async (t) => {
  const h = await build(t)
  await createTags(h, 'syria', 'opinion')
  const source = (await h.app.inject({ method: 'POST', url: '/v1/sources', headers: h.auth.write, payload: { name: 'Wire', slug: 'wire' } })).json()
  const tagged = await createPublished(h, { headline: 'Damascus talks', tags: ['syria'] })
  const searched = await createPublished(h, { headline: 'Unrelated', body: 'A word about zeppelins.', source: source.slug })
  await createPublished(h, { headline: 'Opinion', tags: ['opinion'] })
  await createArticle(h, { headline: 'Draft', tags: ['syria'] })
  t.same(await entryIds(h, 'atom', '?tag=syria'), [`urn:newsdesk:article:${tagged.id}`])
  t.same(await entryIds(h, 'json', '?q=zeppelins'), [`urn:newsdesk:article:${searched.id}`])
  t.same(await entryIds(h, 'rss', '?source=wire'), [`urn:newsdesk:article:${searched.id}`])
  t.equal((await fetchFeed(h, 'rss', '?tag=syria')).feed.title, 'Newsdesk articles (tag: syria)')
  const bad = await h.app.inject({ url: '/v1/feeds/articles.rss?tag=Not%20a%20slug' })
  t.equal(bad.statusCode, 400)
  t.match(bad.headers['content-type'], /^application\/problem\+json/)
  const keyed = await fetchFeed(h, 'rss', '?status=draft&tag=syria', h.auth.write)
  t.same(keyed.entries.map((e) => e.id), [`urn:newsdesk:article:${tagged.id}`], 'status is not a feed parameter: never honoured')
})

t.test('limit and paging: Atom rel="next" (RFC 5005), RSS atom:link, JSON next_url', async (t) => {
  const h = await build(t)
  const made = []
  for (let i = 0; i < 5; i++) {
    made.push(await createPublished(h, { headline: `Story ${i}` }))
    h.clock.now += 1000
  }
  const newestFirst = made.reverse().map((a) => `urn:newsdesk:article:${a.id}`)
  const seen: string[] = []
  let next: string | undefined = '?limit=2'
  let pages = 0
  while (next !== undefined) {
    const { raw, entries } = await fetchFeed(h, 'atom', next)
    seen.push(...entries.map((e) => e.id))
    next = all(raw.link).find((l) => l['@_rel'] === 'next')?.['@_href']
    if (next !== undefined) t.match(next, /^http:\/\/localhost\/v1\/feeds\/articles\.atom\?limit=2&cursor=/)
    pages++
  }
  t.equal(pages, 3)
  t.same(seen, newestFirst, 'every article once, newest first')
  const rss = await fetchFeed(h, 'rss', '?limit=2')
  const rssNext = all(rss.raw['atom:link']).find((l) => l['@_rel'] === 'next')['@_href']
  t.same((await fetchFeed(h, 'rss', rssNext)).entries.map((e) => e.id), newestFirst.slice(2, 4))
  const json = await fetchFeed(h, 'json', '?limit=4')
  t.equal(json.entries.length, 4)
  t.same((await fetchFeed(h, 'json', json.raw.next_url)).entries.map((e) => e.id), newestFirst.slice(4))
  t.equal((await fetchFeed(h, 'json', '')).entries.length, 5, 'default limit 20')
  for (const limit of ['0', '101', 'x']) {
    t.equal((await h.app.inject({ url: `/v1/feeds/articles.atom?limit=${limit}` })).statusCode, 400, `limit=${limit}`)
  }
  t.equal((await h.app.inject({ url: '/v1/feeds/articles.atom?cursor=junk' })).statusCode, 400, 'a bad cursor')
})

t.test('ETag, 304, Cache-Control and HEAD like any list', async (t) => {
  const h = await build(t)
  await createPublished(h, { headline: 'Cached' })
  for (const format of FORMATS) {
    const url = `/v1/feeds/articles.${format}`
    const first = await h.app.inject({ url })
    t.match(first.headers.etag, /^"[\w-]+"$/, `${format}: an ETag`)
    t.match(first.headers['cache-control'], /^public/, `${format}: public`)
    t.match(first.headers.vary, /Authorization/)
    const again = await h.app.inject({ url, headers: { 'if-none-match': first.headers.etag as string } })
    t.equal(again.statusCode, 304, `${format}: 304`)
    t.equal(again.body, '')
    const head = await h.app.inject({ method: 'HEAD', url })
    t.equal(head.statusCode, 200)
    t.equal(head.headers.etag, first.headers.etag)
    t.equal(head.headers['content-type'], first.headers['content-type'])
    t.equal(head.body, '')
    t.match((await h.app.inject({ url, headers: h.auth.read })).headers['cache-control'], /^private/, `${format}: private with a key`)
  }
  const before = await h.app.inject({ url: '/v1/feeds/articles.rss' })
  await createPublished(h, { headline: 'Newer' })
  const after = await h.app.inject({ url: '/v1/feeds/articles.rss', headers: { 'if-none-match': before.headers.etag as string } })
  t.equal(after.statusCode, 200, 'a new article changes the ETag')
})

t.test('text that XML cannot take as it is still makes well-formed feeds', async (t) => {
  const h = await build(t)
  await h.app.inject({ method: 'POST', url: '/v1/tags', headers: h.auth.write, payload: { name: 'A<B & "C"', slug: 'odd' } })
  const headline = 'Q&A: <b>not bold</b> ]]> and ]]> again'
  await createPublished(h, { headline, byline: 'Smith & Jones\u0007', summary: 'Less < more', tags: ['odd'] })
  const rss = (await fetchFeed(h, 'rss')).entries[0]!.raw
  t.equal(rss.title, headline, 'RSS: the headline exactly')
  t.equal(rss['dc:creator'], 'Smith & Jones\uFFFD', 'a character XML 1.0 cannot carry becomes U+FFFD')
  t.equal(rss.category['#text'], 'A<B & "C"')
  const atom = (await fetchFeed(h, 'atom')).entries[0]!.raw
  t.equal(atom.title['@_type'], 'html')
  t.equal(atom.title['#text'], 'Q&amp;A: &lt;b&gt;not bold&lt;/b&gt; ]]&gt; and ]]&gt; again', 'Atom: the headline as HTML')
  t.equal(atom.summary['#text'], 'Less &lt; more')
  t.equal(atom.category['@_label'], 'A<B & "C"')
  const json = (await fetchFeed(h, 'json')).entries[0]!.raw
  t.equal(json.title, headline, 'JSON: exactly')
  t.same(json.authors, [{ name: 'Smith & Jones\u0007' }])
})

t.test('the OpenAPI document describes the feeds with their media types', async (t) => {
  const h = await build(t)
  const document = (await h.app.inject({ url: '/openapi.json' })).json()
  for (const [format, operationId, mediaType] of [
    ['rss', 'getArticlesRss', 'application/rss+xml'],
    ['atom', 'getArticlesAtom', 'application/atom+xml'],
    ['json', 'getArticlesJsonFeed', 'application/feed+json'],
  ] as const) {
    const operation = document.paths[`/v1/feeds/articles.${format}`].get
    t.equal(operation.operationId, operationId)
    t.same(operation.tags, ['feeds'])
    t.same(Object.keys(operation.responses['200'].content), [mediaType])
    const schema = operation.responses['200'].content[mediaType].schema
    t.match(schema, format === 'json' ? { $ref: '#/components/schemas/JsonFeed' } : { type: 'string' })
    t.same(Object.keys(operation.responses['400'].content), ['application/problem+json'])
    t.ok(operation.parameters.some((p: { name: string }) => p.name === 'tag'))
    t.notOk(operation.parameters.some((p: { name: string }) => p.name === 'status'))
  }
  t.ok(document.tags.some((tag: { name: string }) => tag.name === 'feeds'))
})
