import { brotliDecompressSync, gunzipSync } from 'node:zlib'
import t, { type Test } from 'tap'
import { openDatabase } from '../src/db/client.js'
import { createArticle, createPublished, createTags, seedArticleParts } from './factories.js'
import { build, type Harness } from './helper.js'
import { get, iso } from './reading.js'

// The response cache (src/http/response-cache.ts) answers public GETs from memory until the
// content changes: by a write from this process or any other, or by the clock. Cache-Status
// (RFC 9211) says what happened; these tests check both that hits happen and that no change is
// ever hidden by one.

const status = (res: { headers: Record<string, unknown> }) => res.headers['cache-status']
const HIT = 'newsdesk; hit'
const STORED = 'newsdesk; fwd=miss; stored'

t.test('a public GET is stored, then answered byte for byte from the cache', async (t) => {
  const h = await build(t)
  const { caption, ...seed } = seedArticleParts()
  const article = await createPublished(h, { ...seed, image: { caption } })
  for (const url of [`/v1/articles/${article.slug}`, '/v1/articles?limit=5', '/v1/feeds/articles.atom', '/v1/tags']) {
    const first = await get(h, url)
    const second = await get(h, url)
    t.equal(first.statusCode, 200, url)
    t.equal(status(first), STORED, `${url}: stored`)
    t.equal(status(second), HIT, `${url}: hit`)
    t.equal(second.rawPayload.compare(first.rawPayload), 0, `${url}: same bytes`)
    for (const name of ['content-type', 'etag', 'last-modified', 'vary', 'cache-control']) {
      t.equal(second.headers[name], first.headers[name], `${url}: same ${name}`)
    }
  }
  t.equal((await get(h, `/v1/articles/${article.id}`)).json().body, seedArticleParts().body, 'the seed text survives')
})

t.test('a hit still revalidates: If-None-Match gets a 304, and HEAD works', async (t) => {
  const h = await build(t)
  const article = await createPublished(h)
  for (const url of [`/v1/articles/${article.id}`, '/v1/articles']) {
    const { headers } = await get(h, url)
    const notModified = await get(h, url, { 'if-none-match': String(headers.etag) })
    t.equal(notModified.statusCode, 304, url)
    t.equal(notModified.body, '')
    const head = await h.app.inject({ method: 'HEAD', url })
    t.equal(head.statusCode, 200)
    t.equal(head.headers.etag, headers.etag)
  }
})

t.test('a revalidation that was never a 200 here is stored as validators, and only answers the same copy', async (t) => {
  const h = await build(t)
  const article = await createPublished(h)
  const url = `/v1/articles/${article.id}`
  // The client's copy came from elsewhere (another worker, a CDN): the write key bypasses the cache.
  const etag = String((await get(h, url, h.auth.write)).headers.etag)
  const first = await get(h, url, { 'if-none-match': etag })
  t.equal(first.statusCode, 304)
  t.equal(status(first), STORED, 'the 304 is stored')
  const second = await get(h, url, { 'if-none-match': etag })
  t.equal(second.statusCode, 304)
  t.equal(status(second), HIT, 'the next revalidation is a hit')
  t.equal(second.body, '')
  for (const name of ['etag', 'last-modified', 'vary', 'cache-control']) {
    t.equal(second.headers[name], first.headers[name], `same ${name}`)
  }
  t.equal(second.headers['content-type'], undefined, 'a 304 has no content type')
  const bySince = await get(h, url, { 'if-modified-since': String(first.headers['last-modified']) })
  t.equal(bySince.statusCode, 304, 'If-Modified-Since is answered from the validators too')
  t.equal(status(bySince), HIT)

  // Without a matching copy the validators cannot answer: a miss that stores the body.
  const stale = await get(h, url, { 'if-none-match': '"v0"' })
  t.equal(stale.statusCode, 200)
  t.equal(status(stale), STORED)
  t.equal(stale.json().id, article.id)
  const plain = await get(h, url)
  t.equal(status(plain), HIT)
  t.equal(plain.body, stale.body)
  t.equal((await get(h, url, { 'if-none-match': etag })).statusCode, 304, 'the body entry revalidates too')

  // After an edit the stored validators are for the old content: the old copy gets the new one.
  await h.app.inject({ method: 'PATCH', url, headers: h.auth.write, payload: { headline: 'Edited' } })
  const edited = await get(h, url, { 'if-none-match': etag })
  t.equal(edited.statusCode, 200)
  t.equal(edited.json().headline, 'Edited')

  // Collections too: the ETag is a hash of the body.
  const listEtag = String((await get(h, '/v1/articles', h.auth.write)).headers.etag)
  const listed = await get(h, '/v1/articles', { 'if-none-match': listEtag })
  t.equal(listed.statusCode, 304, 'with only public articles, the keyed list is the public one')
  t.equal(status(listed), STORED)
  t.equal(status(await get(h, '/v1/articles', { 'if-none-match': listEtag })), HIT)
})

t.test('a compressed hit is the body the miss compressed, made once per encoding', async (t) => {
  const h = await build(t)
  const { caption, ...seed } = seedArticleParts()
  const article = await createPublished(h, { ...seed, image: { caption } })
  const decoded = (res: { rawPayload: Buffer; headers: Record<string, unknown> }) =>
    res.headers['content-encoding'] === 'br'
      ? brotliDecompressSync(res.rawPayload)
      : res.headers['content-encoding'] === 'gzip'
        ? gunzipSync(res.rawPayload)
        : res.rawPayload
  const plain = (await get(h, `/v1/articles/${article.slug}`, h.auth.write)).rawPayload
  const cases = [
    ['gzip, deflate, br', 'br'],
    ['gzip', 'gzip'],
    ['x-gzip', 'gzip'],
    ['br;q=0.5, gzip;q=0.9', 'gzip'],
    ['*', 'gzip'],
    ['identity', undefined],
    ['deflate', undefined],
  ] as const
  // The list of one article is under the 1 KiB threshold: left as it is, on a hit as on a miss.
  for (const url of [`/v1/articles/${article.slug}`, '/v1/feeds/articles.rss', '/v1/articles?limit=5']) {
    for (const [acceptEncoding, encoding] of cases) {
      const headers = { 'accept-encoding': acceptEncoding }
      const miss = await get(h, `${url}${url.includes('?') ? '&' : '?'}e=${encodeURIComponent(acceptEncoding)}`, headers)
      const first = await get(h, url, headers)
      const second = await get(h, url, headers)
      const name = `${url} with ${acceptEncoding}`
      const expected = decoded(first).length >= 1024 ? encoding : undefined
      t.equal(first.statusCode, 200, name)
      t.equal(second.headers['cache-status'], HIT, `${name}: a hit`)
      t.equal(second.headers['content-encoding'], expected, `${name}: encoded as the plugin would (from 1 KiB)`)
      t.equal(miss.headers['content-encoding'], expected, `${name}: as on a miss`)
      t.equal(decoded(second).compare(decoded(first)), 0, `${name}: the same bytes once decoded`)
      t.match(second.headers.vary, /Accept-Encoding/, `${name}: Vary names Accept-Encoding`)
      const revalidated = await get(h, url, { ...headers, 'if-none-match': String(second.headers.etag) })
      t.equal(revalidated.statusCode, 304, `${name}: revalidates`)
      t.equal(revalidated.headers['content-encoding'], undefined, `${name}: a 304 has no body to encode`)
    }
  }
  const article200 = await get(h, `/v1/articles/${article.slug}`, { 'accept-encoding': 'br' })
  t.equal(decoded(article200).compare(plain), 0, 'the seed article survives compression byte for byte')
  const noCompression = await get(h, `/v1/articles/${article.slug}`, { 'accept-encoding': 'br', 'x-no-compression': '1' })
  t.equal(noCompression.headers['content-encoding'], undefined, 'x-no-compression is respected, as by the plugin')
})

/** A published article whose URL the cache already answers. */
async function cachedArticle(t: Test) {
  const h = await build(t)
  const article = await createPublished(h, { headline: 'Before' })
  const url = `/v1/articles/${article.id}`
  await get(h, url)
  t.equal(status(await get(h, url)), HIT)
  return { h, article, url }
}

t.test('every write through the API is seen at once', async (t) => {
  const { h, url } = await cachedArticle(t)
  await get(h, '/v1/articles')
  const patch = await h.app.inject({ method: 'PATCH', url, headers: h.auth.write, payload: { headline: 'After' } })
  t.equal(patch.statusCode, 200)
  const after = await get(h, url)
  t.equal(status(after), STORED)
  t.equal(after.json().headline, 'After')
  t.equal(after.headers.etag, '"v2"')
  t.equal((await get(h, '/v1/articles')).json().data[0].headline, 'After', 'lists too')

  // A tag rename reaches the articles that carry it.
  const [tag] = await createTags(h, 'climate')
  await h.app.inject({ method: 'PATCH', url, headers: h.auth.write, payload: { tags: ['climate'] } })
  t.same((await get(h, url)).json().tags.map((x: { name: string }) => x.name), ['Climate'])
  await h.app.inject({ method: 'PATCH', url: `/v1/tags/${tag.id}`, headers: h.auth.write, payload: { name: 'Climate crisis' } })
  t.same((await get(h, url)).json().tags.map((x: { name: string }) => x.name), ['Climate crisis'])

  const removed = await h.app.inject({ method: 'DELETE', url, headers: h.auth.write })
  t.equal(removed.statusCode, 204)
  t.equal((await get(h, url)).statusCode, 410)
  t.same((await get(h, '/v1/articles')).json().data, [])
})

t.test('a write by another process (a second connection to the file) is seen at once', async (t) => {
  const { h, article, url } = await cachedArticle(t)
  const other = openDatabase(h.config.databasePath)
  t.teardown(() => other.$client.close())
  other.$client.prepare('UPDATE articles SET headline = ?, version = version + 1 WHERE id = ?').run('From the CLI', article.id)
  const after = await get(h, url)
  t.equal(status(after), STORED)
  t.equal(after.json().headline, 'From the CLI')
})

t.test('the clock: a scheduled article and an embargo appear when their time comes', async (t) => {
  const h = await build(t)
  const start = h.clock.now
  await createPublished(h, { headline: 'Now' })
  const scheduled = await createArticle(h, { headline: 'Later', status: 'published', publishedAt: iso(start + 60_000) })
  const embargoed = await createPublished(h, { headline: 'Embargoed', embargoedUntil: iso(start + 120_000) })
  const headlines = async () => (await get(h, '/v1/articles')).json().data.map((a: { headline: string }) => a.headline)

  t.same(await headlines(), ['Now'])
  t.same(await headlines(), ['Now'])
  t.equal((await get(h, `/v1/articles/${scheduled.id}`)).statusCode, 404)
  h.clock.now = start + 59_999
  t.equal(status(await get(h, '/v1/articles')), HIT, 'nothing changes before the time')
  h.clock.now = start + 60_000
  t.same(await headlines(), ['Later', 'Now'])
  t.equal((await get(h, `/v1/articles/${scheduled.id}`)).statusCode, 200)
  h.clock.now = start + 120_000
  t.same((await headlines()).sort(), ['Embargoed', 'Later', 'Now'])
  t.equal((await get(h, `/v1/articles/${embargoed.id}`)).statusCode, 200)
  // A clock set back (tests, or a corrected system clock) is a new stretch too.
  h.clock.now = start
  t.same(await headlines(), ['Now'])
})

t.test('keys: read keys share the public entries, write keys bypass them', async (t) => {
  const h = await build(t)
  await createPublished(h, { headline: 'Public' })
  await createArticle(h, { headline: 'Draft' })
  await get(h, '/v1/articles')
  const read = await get(h, '/v1/articles', h.auth.read)
  t.equal(status(read), HIT)
  t.equal(read.headers['cache-control'], 'private, no-store', 'Cache-Control is per request')
  const write = await get(h, '/v1/articles?status=draft', h.auth.write)
  t.equal(status(write), 'newsdesk; fwd=bypass')
  t.same(write.json().data.map((a: { headline: string }) => a.headline), ['Draft'])
  t.equal(status(await get(h, '/v1/articles?status=draft', h.auth.write)), 'newsdesk; fwd=bypass')
})

t.test('the key holds what chose the bytes: Accept and Host', async (t) => {
  const h = await build(t)
  const article = await createPublished(h)
  const url = `/v1/articles/${article.id}`
  const json = await get(h, url)
  const ninjs = await get(h, url, { accept: 'application/ninjs+json' })
  t.equal(status(ninjs), STORED)
  t.match(ninjs.headers['content-type'], /ninjs/)
  t.match(json.headers['content-type'], /application\/json/)
  t.equal(status(await get(h, url, { accept: 'application/ninjs+json' })), HIT)
  t.match((await get(h, url)).headers['content-type'], /application\/json/)

  const feed = (host: string) => get(h, '/v1/feeds/articles.json', { host })
  t.match((await feed('a.example')).json().home_page_url, /^http:\/\/a\.example\//)
  t.match((await feed('b.example')).json().home_page_url, /^http:\/\/b\.example\//)
  t.match((await feed('a.example')).json().home_page_url, /^http:\/\/a\.example\//)
})

t.test('errors and bad queries are never stored', async (t) => {
  const h = await build(t)
  for (const url of ['/v1/articles/nope', '/v1/articles?limit=0']) {
    const first = await get(h, url)
    t.ok(first.statusCode >= 400, url)
    t.equal(status(first), 'newsdesk; fwd=miss')
    t.equal(status(await get(h, url)), 'newsdesk; fwd=miss')
  }
})

t.test('RESPONSE_CACHE_MB bounds it; 0 turns it off', async (t) => {
  const tiny = await build(t, { config: { responseCacheBytes: 4096 } })
  const big = await createPublished(tiny, { body: 'word '.repeat(2000) })
  const url = `/v1/articles/${big.id}`
  t.equal(status(await get(tiny, url)), 'newsdesk; fwd=miss', 'too big for a quarter of the cache')
  t.equal(status(await get(tiny, url)), 'newsdesk; fwd=miss')

  const off: Harness = await build(t, { config: { responseCacheBytes: 0 } })
  const article = await createPublished(off)
  await get(off, `/v1/articles/${article.id}`)
  t.equal(status(await get(off, `/v1/articles/${article.id}`)), undefined)
})

t.test('rate-limit headers are counted on hits as on misses', async (t) => {
  const h = await build(t, { config: { rateLimitMax: 10, rateLimitWindowSeconds: 60 } })
  const article = await createPublished(h)
  const url = `/v1/articles/${article.id}`
  const first = await get(h, url)
  const second = await get(h, url)
  t.equal(status(second), HIT)
  t.match(first.headers.ratelimit, /r=9;/)
  t.match(second.headers.ratelimit, /r=8;/)
})
