import t from 'tap'
import { build, type Harness } from './helper.js'
import { createArticle, createSource, createTag } from './factories.js'

type Headers = Record<string, string>
const call = (h: Harness, method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, payload?: object, headers: Headers = {}) =>
  h.app.inject({ method, url, headers: method === 'GET' ? headers : { ...h.auth.write, ...headers }, ...(payload ? { payload } : {}) })

const cases = [
  { resource: 'tags', create: { name: 'Climate Change', description: 'Warming' }, slug: 'climate-change', edit: { kind: 'event' } },
  { resource: 'sources', create: { name: 'Reuters', url: 'https://www.reuters.com' }, slug: 'reuters', edit: { url: 'https://reuters.example' } },
] as const

for (const { resource, create, slug, edit } of cases) {
  t.test(`${resource}: create answers 201 with Location and ETag`, async (t) => {
    const h = await build(t)
    const res = await call(h, 'POST', `/v1/${resource}`, create)
    t.equal(res.statusCode, 201)
    const item = res.json()
    t.equal(res.headers.location, `/v1/${resource}/${item.id}`)
    t.equal(res.headers.etag, '"v1"')
    t.match(item, { ...create, slug, version: 1, createdAt: '2026-01-15T12:00:00.000Z' })
  })

  t.test(`${resource}: get by id and by slug, anonymously`, async (t) => {
    const h = await build(t)
    const item = (await call(h, 'POST', `/v1/${resource}`, create)).json()
    for (const ref of [item.id, item.slug]) {
      const res = await call(h, 'GET', `/v1/${resource}/${ref}`)
      t.equal(res.statusCode, 200, ref)
      t.same(res.json(), item, `${ref}: the same representation`)
      t.equal(res.headers.etag, '"v1"')
    }
    const missing = await call(h, 'GET', `/v1/${resource}/nothing-here`)
    t.equal(missing.statusCode, 404)
    t.equal(missing.headers['content-type'], 'application/problem+json; charset=utf-8')
  })

  t.test(`${resource}: PATCH merges, bumps the version and honours If-Match`, async (t) => {
    const h = await build(t)
    const item = (await call(h, 'POST', `/v1/${resource}`, create)).json()
    h.clock.now += 1000
    const res = await call(h, 'PATCH', `/v1/${resource}/${item.slug}`, { ...edit, description: null }, { 'if-match': '"v1"' })
    t.equal(res.statusCode, 200)
    t.match(res.json(), { ...edit, name: create.name, description: null, version: 2 })
    t.equal(res.json().updatedAt, new Date(h.clock.now).toISOString())
    t.equal(res.headers.etag, '"v2"')
    const noop = await call(h, 'PATCH', `/v1/${resource}/${item.id}`, edit)
    t.equal(noop.json().version, 2, 'a no-op patch is not a new version')
    const stale = await call(h, 'PATCH', `/v1/${resource}/${item.id}`, { name: 'Stale' }, { 'if-match': '"v1"' })
    t.equal(stale.statusCode, 412)
    t.equal(stale.json().currentVersion, 2)
    t.equal((await call(h, 'GET', `/v1/${resource}/${item.id}`)).json().name, create.name, 'the stale patch changed nothing')
  })

  t.test(`${resource}: DELETE answers 204 and the row is gone`, async (t) => {
    const h = await build(t)
    const item = (await call(h, 'POST', `/v1/${resource}`, create)).json()
    const res = await call(h, 'DELETE', `/v1/${resource}/${item.slug}`)
    t.equal(res.statusCode, 204)
    t.equal(res.body, '')
    t.equal((await call(h, 'GET', `/v1/${resource}/${item.id}`)).statusCode, 404)
    t.equal((await call(h, 'DELETE', `/v1/${resource}/${item.id}`)).statusCode, 404)
    t.equal(h.db.$client.prepare(`SELECT count(*) FROM ${resource} WHERE id = ?`).pluck().get(item.id), 0)
  })

  t.test(`${resource}: writes need a key with the write scope`, async (t) => {
    const h = await build(t)
    const anonymous = await h.app.inject({ method: 'POST', url: `/v1/${resource}`, payload: create })
    t.equal(anonymous.statusCode, 401)
    const reader = await h.app.inject({ method: 'POST', url: `/v1/${resource}`, headers: h.auth.read, payload: create })
    t.equal(reader.statusCode, 403)
    t.equal(h.db.$client.prepare(`SELECT count(*) FROM ${resource}`).pluck().get(), 0, 'nothing stored')
  })

  t.test(`${resource}: renaming bumps the version of articles that embed it`, async (t) => {
    const h = await build(t)
    const item = (await call(h, 'POST', `/v1/${resource}`, create)).json()
    const ref = resource === 'tags' ? { tags: [item.slug] } : { source: item.slug }
    const user = await createArticle(h, { status: 'published', ...ref })
    const bystander = await createArticle(h, { status: 'published' })
    h.clock.now += 5000
    t.equal((await call(h, 'PATCH', `/v1/${resource}/${item.id}`, { name: 'Renamed' })).statusCode, 200)
    const after = await call(h, 'GET', `/v1/articles/${user.id}`, undefined, { 'if-none-match': '"v1"' })
    t.equal(after.statusCode, 200, 'the old ETag no longer matches')
    t.equal(after.headers.etag, '"v2"')
    const article = after.json()
    const embedded = resource === 'tags' ? article.tags[0] : article.source
    t.same(embedded, { id: item.id, slug: item.slug, name: 'Renamed', ...(resource === 'tags' ? { kind: 'subject' } : {}) })
    t.equal(article.updatedAt, new Date(h.clock.now).toISOString())
    t.equal((await call(h, 'GET', `/v1/articles/${bystander.id}`)).json().version, 1, 'other articles are untouched')
  })
}

t.test('tag kind defaults to subject and must be a known kind', async (t) => {
  const h = await build(t)
  t.equal((await createTag(h)).kind, 'subject')
  t.equal((await createTag(h, { kind: 'person' })).kind, 'person')
  const res = await call(h, 'POST', '/v1/tags', { name: 'Odd', kind: 'vegetable' })
  t.equal(res.statusCode, 400)
  t.same(res.json().errors.map((e: { pointer: string }) => e.pointer), ['/kind'])
  const tag = await createTag(h)
  t.equal((await call(h, 'PATCH', `/v1/tags/${tag.id}`, { kind: 'mineral' })).statusCode, 400)
  t.equal(h.db.$client.prepare("SELECT count(*) FROM tags WHERE name = 'Odd'").pluck().get(), 0)
})

t.test('a source that articles use cannot be deleted: 409 with the count', async (t) => {
  const h = await build(t)
  const source = await createSource(h, { name: 'AFP' })
  await createArticle(h, { source: source.slug })
  await createArticle(h, { source: source.id, status: 'published' })
  const res = await call(h, 'DELETE', `/v1/sources/${source.slug}`)
  t.equal(res.statusCode, 409)
  t.equal(res.headers['content-type'], 'application/problem+json; charset=utf-8')
  t.equal(res.json().articleCount, 2)
  t.match(res.json().detail, /2 articles/)
  t.equal((await call(h, 'GET', `/v1/sources/${source.id}`)).statusCode, 200, 'it still exists')
  t.equal(h.db.$client.prepare('SELECT count(*) FROM articles WHERE source_id = ?').pluck().get(source.id), 2)
})

t.test('deleting a tag removes it from its articles, which get a new version', async (t) => {
  const h = await build(t)
  const [doomed, kept] = [await createTag(h, { name: 'Doomed' }), await createTag(h, { name: 'Kept' })]
  const a = await createArticle(h, { status: 'published', tags: [doomed.slug, kept.slug] })
  const other = await createArticle(h, { status: 'published', tags: [kept.slug] })
  const before = await call(h, 'GET', `/v1/articles/${a.id}`)
  t.equal(before.headers.etag, '"v1"')
  t.equal((await call(h, 'DELETE', `/v1/tags/${doomed.id}`)).statusCode, 204)
  const after = await call(h, 'GET', `/v1/articles/${a.id}`, undefined, { 'if-none-match': '"v1"' })
  t.equal(after.statusCode, 200)
  t.equal(after.headers.etag, '"v2"')
  t.same(after.json().tags.map((tag: { slug: string }) => tag.slug), ['kept'], 'kept is now primary')
  t.equal((await call(h, 'GET', `/v1/articles/${other.id}`)).json().version, 1, 'articles without it are untouched')
  t.equal(h.db.$client.prepare('SELECT count(*) FROM article_tags WHERE tag_id = ?').pluck().get(doomed.id), 0)
})

t.test('a tag rename shows in lists of articles too', async (t) => {
  const h = await build(t)
  const tag = await createTag(h, { name: 'Old name' })
  await createArticle(h, { status: 'published', tags: [tag.id] })
  const first = await call(h, 'GET', '/v1/articles')
  await call(h, 'PATCH', `/v1/tags/${tag.id}`, { name: 'New name' })
  const res = await call(h, 'GET', '/v1/articles', undefined, { 'if-none-match': first.headers.etag as string })
  t.equal(res.statusCode, 200, 'the list changed')
  t.equal(res.json().data[0].tags[0].name, 'New name')
  t.equal(res.json().data[0].version, 2)
})
