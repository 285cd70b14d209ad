import t from 'tap'
import { build, type Harness } from './helper.js'
import { createArticle, createSource, createTag, seedArticleParts } from './factories.js'

const patch = (h: Harness, idOrSlug: string, payload: object, headers: Record<string, string> = {}) =>
  h.app.inject({ method: 'PATCH', url: `/v1/articles/${idOrSlug}`, headers: { ...h.auth.write, ...headers }, payload })

const get = (h: Harness, url: string, headers: Record<string, string> = {}) =>
  h.app.inject({ method: 'GET', url, headers })

t.test('the seed article round-trips byte for byte', async (t) => {
  const h = await build(t)
  await createSource(h, { name: 'Xinhua' })
  await createTag(h, { name: 'Syria', kind: 'place' })
  const seed = seedArticleParts()
  t.ok(seed.headline.includes('\u2019'), 'the fixture has curly quotes')
  const created = await createArticle(h, {
    headline: seed.headline,
    body: seed.body,
    byline: seed.byline,
    image: { caption: seed.caption, credit: 'Xinhua' },
    source: 'xinhua',
    tags: ['syria'],
    status: 'published',
    publishedAt: seed.publishedAt,
  })
  const res = await h.app.inject({ method: 'GET', url: `/v1/articles/${created.slug}` })
  t.equal(res.statusCode, 200)
  const article = res.json()
  t.equal(article.headline, seed.headline)
  t.equal(article.body, seed.body)
  t.equal(Buffer.compare(Buffer.from(article.body), Buffer.from(seed.body)), 0, 'same bytes')
  t.equal(article.image.caption, seed.caption)
  t.equal(article.publishedAt, seed.publishedAt)
  t.equal(article.slug, 'syrian-fm-backs-putins-proposal-of-regional-alliance-against-isil')
  t.same(article.source, { id: created.source.id, slug: 'xinhua', name: 'Xinhua' })
})

t.test('create answers 201 with Location and a strong ETag "v1"', async (t) => {
  const h = await build(t)
  const res = await h.app.inject({
    method: 'POST',
    url: '/v1/articles',
    headers: h.auth.write,
    payload: { headline: 'Fresh news', body: 'Body.' },
  })
  t.equal(res.statusCode, 201)
  const article = res.json()
  t.equal(res.headers.location, `/v1/articles/${article.id}`)
  t.equal(res.headers.etag, '"v1"')
  t.equal(article.version, 1)
  t.equal((await get(h, res.headers.location as string, h.auth.write)).json().id, article.id, 'Location resolves')
})

t.test('defaults: draft, English, no publication time until published, a word count', async (t) => {
  const h = await build(t)
  const draft = await createArticle(h, { body: 'One two three four five six seven.' })
  t.equal(draft.status, 'draft')
  t.equal(draft.language, 'en')
  t.equal(draft.publishedAt, null)
  t.equal(draft.wordCount, 7)
  t.same(draft.tags, [])
  t.equal(draft.source, null)
  t.equal(draft.image, null)
  t.equal(draft.createdAt, '2026-01-15T12:00:00.000Z')

  const published = await createArticle(h, { status: 'published' })
  t.equal(published.publishedAt, new Date(h.clock.now).toISOString(), 'published now on create')

  h.clock.now = Date.parse('2026-02-01T08:30:00.000Z')
  const res = await patch(h, draft.id, { status: 'published' })
  t.equal(res.statusCode, 200)
  t.equal(res.json().publishedAt, '2026-02-01T08:30:00.000Z', 'publishing a draft stamps the clock time')
  t.equal(res.json().updatedAt, '2026-02-01T08:30:00.000Z')
})

t.test('PATCH is a JSON merge patch: null clears, image merges field by field', async (t) => {
  const h = await build(t)
  const a = await createArticle(h, {
    summary: 'A standfirst',
    image: { url: 'https://img.example/x.jpg', caption: 'A caption', credit: 'Agency' },
  })
  const cleared = await patch(h, a.id, { summary: null }, { 'content-type': 'application/merge-patch+json' })
  t.equal(cleared.statusCode, 200)
  t.equal(cleared.json().summary, null)

  const res = await patch(h, a.id, { image: { caption: null } })
  t.same(res.json().image, { url: 'https://img.example/x.jpg', caption: null, credit: 'Agency' })
  const row = h.db.$client.prepare('SELECT summary, image_caption, image_credit FROM articles WHERE id = ?').get(a.id)
  t.same(row, { summary: null, image_caption: null, image_credit: 'Agency' }, 'persisted')
})

t.test('PATCH headline: null is a 400 and changes nothing', async (t) => {
  const h = await build(t)
  const a = await createArticle(h, { headline: 'Keep me' })
  const res = await patch(h, a.id, { headline: null })
  t.equal(res.statusCode, 400)
  t.ok(res.json().errors.some((e: { pointer: string }) => e.pointer === '/headline'))
  t.equal((await get(h, `/v1/articles/${a.id}`, h.auth.write)).json().version, 1)
})

t.test('version goes up by one per real change and not for a no-op patch', async (t) => {
  const h = await build(t)
  const a = await createArticle(h, { headline: 'Same', summary: 'S' })
  const noop = await patch(h, a.id, { headline: 'Same', summary: 'S', tags: [] })
  t.equal(noop.json().version, 1)
  t.equal(noop.headers.etag, '"v1"')
  const once = await patch(h, a.id, { headline: 'Different' })
  t.equal(once.json().version, 2)
  t.equal(once.headers.etag, '"v2"')
  const twice = await patch(h, a.id, { summary: 'New', byline: 'Me' })
  t.equal(twice.json().version, 3, 'one change of several fields is one version')
  t.equal((await patch(h, a.id, { byline: 'Me' })).json().version, 3)
})

t.test('tags keep the order given: reorder and replace, first is primary', async (t) => {
  const h = await build(t)
  const [x, y, z] = [await createTag(h, { name: 'X' }), await createTag(h, { name: 'Y' }), await createTag(h, { name: 'Z' })]
  const a = await createArticle(h, { tags: [x.slug, y.slug] })
  t.same(a.tags.map((tag: { slug: string }) => tag.slug), ['x', 'y'])
  const reordered = (await patch(h, a.id, { tags: ['y', x.id] })).json()
  t.same(reordered.tags.map((tag: { slug: string }) => tag.slug), ['y', 'x'], 'y is now primary')
  t.equal(reordered.version, 2, 'a reorder is a change')
  const replaced = (await patch(h, a.id, { tags: [z.slug, y.slug] })).json()
  t.same(replaced.tags.map((tag: { slug: string }) => tag.slug), ['z', 'y'])
  const fetched = (await get(h, `/v1/articles/${a.id}`, h.auth.write)).json()
  t.same(fetched.tags.map((tag: { slug: string }) => tag.slug), ['z', 'y'], 'order persisted')
})

t.test('status moves follow the lifecycle; refused moves are 409 with the allowed ones', async (t) => {
  const h = await build(t)
  const a = await createArticle(h)
  const refused = await patch(h, a.id, { status: 'archived' })
  t.equal(refused.statusCode, 409)
  t.equal(refused.headers['content-type'], 'application/problem+json; charset=utf-8')
  t.same(refused.json().allowedTransitions, ['publish'])
  t.equal((await patch(h, a.id, { status: 'published' })).json().status, 'published')
  t.equal((await patch(h, a.id, { status: 'archived' })).json().status, 'archived')
  const back = await patch(h, a.id, { status: 'draft' })
  t.equal(back.statusCode, 409)
  t.same(back.json().allowedTransitions, ['publish', 'withdraw'])
  t.equal(h.db.$client.prepare('SELECT status FROM articles WHERE id = ?').pluck().get(a.id), 'archived')
})

t.test('archived articles: by URL for anyone, only listed with status=archived', async (t) => {
  const h = await build(t)
  const a = await createArticle(h, { status: 'published' })
  await patch(h, a.id, { status: 'archived' })
  t.equal((await get(h, `/v1/articles/${a.slug}`)).statusCode, 200)
  const ids = (res: { json(): { data: { id: string }[] } }) => res.json().data.map((x) => x.id)
  t.same(ids(await get(h, '/v1/articles')), [])
  t.same(ids(await get(h, '/v1/articles?status=archived')), [a.id])
})

t.test('clearing publishedAt on a published article is 422', async (t) => {
  const h = await build(t)
  const a = await createArticle(h, { status: 'published' })
  const res = await patch(h, a.id, { publishedAt: null })
  t.equal(res.statusCode, 422)
  t.equal(res.json().errors[0].pointer, '/publishedAt')
  t.equal((await get(h, `/v1/articles/${a.id}`)).json().publishedAt, a.publishedAt)
})

t.test('If-None-Match: exact, list, * and weak forms give 304 with no body', async (t) => {
  const h = await build(t)
  const a = await createArticle(h, { status: 'published' })
  const url = `/v1/articles/${a.id}`
  const first = await get(h, url)
  t.equal(first.headers.etag, '"v1"')
  for (const header of ['"v1"', '"x", "v1"', '*', 'W/"v1"']) {
    const res = await get(h, url, { 'if-none-match': header })
    t.equal(res.statusCode, 304, header)
    t.equal(res.body, '', `${header}: empty body`)
  }
  t.equal((await get(h, url, { 'if-none-match': '"v2"' })).statusCode, 200)
  await patch(h, a.id, { headline: 'Changed' })
  const after = await get(h, url, { 'if-none-match': '"v1"' })
  t.equal(after.statusCode, 200, 'the old ETag no longer matches')
  t.equal(after.headers.etag, '"v2"')
})

t.test('stale If-Match on PATCH and DELETE is 412 with the current version', async (t) => {
  const h = await build(t)
  const a = await createArticle(h, { headline: 'Original' })
  await patch(h, a.id, { summary: 'v2' })
  const stale = await patch(h, a.id, { headline: 'Overwrite' }, { 'if-match': '"v1"' })
  t.equal(stale.statusCode, 412)
  t.equal(stale.json().currentVersion, 2)
  const del = await h.app.inject({ method: 'DELETE', url: `/v1/articles/${a.id}`, headers: { ...h.auth.write, 'if-match': '"v1"' } })
  t.equal(del.statusCode, 412)
  t.equal(del.json().currentVersion, 2)
  const row = h.db.$client.prepare('SELECT headline, version FROM articles WHERE id = ?').get(a.id)
  t.same(row, { headline: 'Original', version: 2 }, 'nothing changed')
})

t.test('current If-Match lets PATCH and DELETE through', async (t) => {
  const h = await build(t)
  const a = await createArticle(h)
  const ok = await patch(h, a.id, { headline: 'Edited' }, { 'if-match': '"v1"' })
  t.equal(ok.statusCode, 200)
  t.equal(ok.json().headline, 'Edited')
  const del = await h.app.inject({ method: 'DELETE', url: `/v1/articles/${a.id}`, headers: { ...h.auth.write, 'if-match': '"v2"' } })
  t.equal(del.statusCode, 204)
})

t.test('Last-Modified is sent and If-Modified-Since is honoured', async (t) => {
  const h = await build(t)
  const a = await createArticle(h, { status: 'published' })
  const url = `/v1/articles/${a.id}`
  const first = await get(h, url)
  t.equal(first.headers['last-modified'], new Date(h.clock.now).toUTCString())
  const since = first.headers['last-modified'] as string
  t.equal((await get(h, url, { 'if-modified-since': since })).statusCode, 304)
  const earlier = new Date(h.clock.now - 60_000).toUTCString()
  t.equal((await get(h, url, { 'if-modified-since': earlier })).statusCode, 200)
  t.equal((await get(h, url, { 'if-modified-since': 'not a date' })).statusCode, 200, 'a bad date is ignored')
  const both = await get(h, url, { 'if-modified-since': since, 'if-none-match': '"v0"' })
  t.equal(both.statusCode, 200, 'If-None-Match takes precedence over If-Modified-Since')
  h.clock.now += 120_000
  await patch(h, a.id, { headline: 'Later' })
  const res = await get(h, url, { 'if-modified-since': since })
  t.equal(res.statusCode, 200, 'modified since')
  t.equal(res.headers['last-modified'], new Date(h.clock.now).toUTCString())
})

t.test('HEAD works wherever GET does', async (t) => {
  const h = await build(t)
  const a = await createArticle(h, { status: 'published' })
  const draft = await createArticle(h)
  const [tag, source] = [await createTag(h), await createSource(h)]
  const urls = [`/v1/articles/${a.id}`, `/v1/articles/${a.slug}`, '/v1/articles', '/v1/articles?status=archived']
  urls.push(`/v1/tags/${tag.slug}`, '/v1/tags', `/v1/sources/${source.id}`, '/v1/sources')
  for (const url of urls) {
    const g = await get(h, url)
    const head = await h.app.inject({ method: 'HEAD', url })
    t.equal(head.statusCode, 200, url)
    t.equal(head.body, '', `${url}: no body`)
    t.equal(head.headers.etag, g.headers.etag, `${url}: same ETag`)
    const cond = await h.app.inject({ method: 'HEAD', url, headers: { 'if-none-match': g.headers.etag as string } })
    t.equal(cond.statusCode, 304, `${url}: conditional HEAD`)
    t.equal(cond.body, '', `${url}: conditional HEAD has no body`)
  }
  t.equal((await h.app.inject({ method: 'HEAD', url: `/v1/articles/${draft.id}` })).statusCode, 404)
  t.equal((await h.app.inject({ method: 'HEAD', url: `/v1/articles/${draft.id}`, headers: h.auth.write })).statusCode, 200)
})

t.test('DELETE answers 204, then the article is gone (410) and in the trash', async (t) => {
  const h = await build(t)
  const tag = await createTag(h)
  const a = await createArticle(h, { tags: [tag.slug] })
  const res = await h.app.inject({ method: 'DELETE', url: `/v1/articles/${a.slug}`, headers: h.auth.write })
  t.equal(res.statusCode, 204)
  t.equal(res.body, '')
  t.equal((await get(h, `/v1/articles/${a.id}`, h.auth.write)).statusCode, 410)
  t.equal((await h.app.inject({ method: 'DELETE', url: `/v1/articles/${a.id}`, headers: h.auth.write })).statusCode, 404)
  t.equal(h.db.$client.prepare('SELECT count(*) FROM article_tags WHERE article_id = ?').pluck().get(a.id), 1, 'kept for a restore')
})

t.test('the list ETag follows its content, and a matching If-None-Match is a 304', async (t) => {
  const h = await build(t)
  const a = await createArticle(h, { status: 'published' })
  await createArticle(h, { status: 'published' })
  const first = await get(h, '/v1/articles')
  const etag = first.headers.etag as string
  t.match(etag, /^"[^"]+"$/, 'a strong ETag')
  const again = await get(h, '/v1/articles', { 'if-none-match': etag })
  t.equal(again.statusCode, 304)
  t.equal(again.body, '')
  await patch(h, a.id, { headline: 'Edited in the list' })
  const changed = await get(h, '/v1/articles', { 'if-none-match': etag })
  t.equal(changed.statusCode, 200)
  t.not(changed.headers.etag, etag)
})
