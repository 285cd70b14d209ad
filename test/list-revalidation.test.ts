import t, { type Test } from 'tap'
import { createArticle, createPublished, createTags } from './factories.js'
import { build, type Harness } from './helper.js'
import { get } from './reading.js'

// Issue 3: collections carry a validator that changes whenever an article visible to that
// query changes, answer 304 while it has not, and HEAD works wherever GET does.

const patch = async (h: Harness, url: string, payload: object) => {
  const res = await h.app.inject({ method: 'PATCH', url, headers: h.auth.write, payload })
  if (res.statusCode !== 200) throw new Error(`PATCH ${url} answered ${res.statusCode}: ${res.body}`)
}

/** The ETag of a 200 answer, checked to be a strong, quoted entity tag. */
async function etagOf(t: Test, h: Harness, url: string) {
  const res = await get(h, url)
  t.equal(res.statusCode, 200, `${url}: 200`)
  const etag = String(res.headers.etag)
  t.match(etag, /^"[^"]+"$/, `${url}: a strong ETag`)
  return etag
}

async function revalidate(h: Harness, url: string, etag: string) {
  return get(h, url, { 'if-none-match': etag })
}

t.test('the list ETag changes when an article in the page is edited; the old one then gets a 200', async (t) => {
  const h = await build(t)
  const a = await createPublished(h, { headline: 'First' })
  await createPublished(h, { headline: 'Second' })
  const before = await etagOf(t, h, '/v1/articles')
  const fresh = await revalidate(h, '/v1/articles', before)
  t.equal(fresh.statusCode, 304, 'unchanged: 304')
  t.equal(fresh.body, '', 'a 304 has no body')
  t.equal(fresh.headers.etag, before)

  h.clock.now += 1000
  await patch(h, `/v1/articles/${a.id}`, { headline: 'First, corrected' })
  const after = await etagOf(t, h, '/v1/articles')
  t.not(after, before, 'the edit changed the validator')
  const stale = await revalidate(h, '/v1/articles', before)
  t.equal(stale.statusCode, 200, 'the old ETag gets the new list')
  t.equal(stale.headers.etag, after)
  t.ok(stale.json().data.some((item: { headline: string }) => item.headline === 'First, corrected'))
  t.equal((await revalidate(h, '/v1/articles', after)).statusCode, 304, 'and the new one is current')
  t.equal((await revalidate(h, '/v1/articles', `"other", W/${after}`)).statusCode, 304, 'a list, weakly compared')
})

t.test('a filtered list revalidates after a change made elsewhere: a tag rename, a new article', async (t) => {
  const h = await build(t)
  await createTags(h, 'syria')
  await createPublished(h, { tags: ['syria'] })
  const url = '/v1/articles?tag=syria&fields=id,tags'
  const first = await etagOf(t, h, url)
  h.clock.now += 1000
  await patch(h, '/v1/tags/syria', { name: 'Syrian war' })
  const renamed = await etagOf(t, h, url)
  t.not(renamed, first, 'the embedded tag changed, so the list did')
  t.equal((await revalidate(h, url, first)).statusCode, 200)
  await createPublished(h, { tags: ['syria'] })
  const grown = await etagOf(t, h, url)
  t.not(grown, renamed, 'a new article in the list changes it')
  t.equal((await revalidate(h, url, renamed)).statusCode, 200)
  t.equal((await revalidate(h, url, grown)).statusCode, 304)
})

t.test('a change the caller cannot see leaves the anonymous list current', async (t) => {
  const h = await build(t)
  await createPublished(h)
  const draft = await createArticle(h, { headline: 'Secret draft' })
  const before = await etagOf(t, h, '/v1/articles')
  h.clock.now += 1000
  await patch(h, `/v1/articles/${draft.id}`, { headline: 'Secret draft, edited' })
  t.equal((await revalidate(h, '/v1/articles', before)).statusCode, 304, 'still 304')
  const keyed = await get(h, '/v1/articles?status=draft', h.auth.write)
  t.equal(keyed.statusCode, 200)
  t.not(keyed.headers.etag, before, 'the keyed draft list is another representation')
})

t.test('count and facets are part of the validated representation', async (t) => {
  const h = await build(t)
  await createTags(h, 'x')
  await createPublished(h, { tags: ['x'] })
  const url = '/v1/articles?limit=1&count=true&facets=tag'
  const before = await etagOf(t, h, url)
  await createPublished(h, { tags: ['x'], publishedAt: '2015-01-01T00:00:00.000Z' }) // off the page, in the count
  const after = await get(h, url, { 'if-none-match': before })
  t.equal(after.statusCode, 200, 'the total changed, so the ETag did')
  t.equal(after.json().meta.total, 2)
})

t.test('HEAD works on the list: same validators as GET, no body, 304 when current', async (t) => {
  const h = await build(t)
  await createPublished(h)
  for (const url of ['/v1/articles', '/v1/articles?q=words&highlight=true&count=true&facets=month']) {
    const full = await get(h, url)
    t.equal(full.statusCode, 200)
    const head = await h.app.inject({ method: 'HEAD', url })
    t.equal(head.statusCode, 200, `HEAD ${url}`)
    t.equal(head.body, '', 'no body')
    t.equal(head.headers.etag, full.headers.etag, 'the same ETag')
    t.equal(head.headers['cache-control'], full.headers['cache-control'])
    const current = await h.app.inject({ method: 'HEAD', url, headers: { 'if-none-match': String(full.headers.etag) } })
    t.equal(current.statusCode, 304)
  }
  const bad = await h.app.inject({ method: 'HEAD', url: '/v1/articles?sort=popular' })
  t.equal(bad.statusCode, 400, 'a bad query is a 400 to HEAD as well')
})

t.test('HEAD works on /related, and related lists revalidate', async (t) => {
  const h = await build(t)
  await createTags(h, 'x')
  const subject = await createPublished(h, { tags: ['x'] })
  const other = await createPublished(h, { tags: ['x'] })
  const url = `/v1/articles/${subject.slug}/related`
  const full = await get(h, url)
  t.equal(full.statusCode, 200)
  t.same(full.json().data.map((a: { id: string }) => a.id), [other.id])
  const head = await h.app.inject({ method: 'HEAD', url })
  t.equal(head.statusCode, 200)
  t.equal(head.body, '')
  t.equal(head.headers.etag, full.headers.etag)
  t.equal((await h.app.inject({ method: 'HEAD', url, headers: { 'if-none-match': String(full.headers.etag) } })).statusCode, 304)
  const missing = await h.app.inject({ method: 'HEAD', url: '/v1/articles/no-such-article/related' })
  t.equal(missing.statusCode, 404)
  h.clock.now += 1000
  await patch(h, `/v1/articles/${other.id}`, { headline: 'Renamed neighbour' })
  t.equal((await revalidate(h, url, String(full.headers.etag))).statusCode, 200, 'a related article changed')
})
