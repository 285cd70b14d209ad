import t from 'tap'
import { build, type Harness } from './helper.js'
import { createArticle, createSource, createTag } from './factories.js'

const SLUG = /^[a-z0-9]+(?:-[a-z0-9]+)*$/

const post = (h: Harness, payload: object) =>
  h.app.inject({ method: 'POST', url: '/v1/articles', headers: h.auth.write, payload: { body: 'Text.', ...payload } })

const patch = (h: Harness, idOrSlug: string, payload: object) =>
  h.app.inject({ method: 'PATCH', url: `/v1/articles/${idOrSlug}`, headers: h.auth.write, payload })

const getBy = (h: Harness, idOrSlug: string) =>
  h.app.inject({ method: 'GET', url: `/v1/articles/${encodeURIComponent(idOrSlug)}`, headers: h.auth.write })

t.test('the slug comes from the headline', async (t) => {
  const h = await build(t)
  const a = await createArticle(h, { headline: 'Rates Rise Again, Bank Says — “Finally”' })
  t.equal(a.slug, 'rates-rise-again-bank-says-finally')
  t.equal(a.headline, 'Rates Rise Again, Bank Says — “Finally”', 'the headline itself is kept as given')
})

t.test('a slug that is taken gets -2, -3', async (t) => {
  const h = await build(t)
  const slugs = []
  for (let i = 0; i < 3; i++) slugs.push((await createArticle(h, { headline: 'Same headline' })).slug)
  t.same(slugs, ['same-headline', 'same-headline-2', 'same-headline-3'])
  const ids = h.db.$client.prepare("SELECT count(DISTINCT id) FROM articles WHERE slug LIKE 'same-headline%'").pluck().get()
  t.equal(ids, 3, 'three separate articles stored')
})

t.test('Cyrillic and Arabic headlines get a readable ASCII slug', async (t) => {
  const h = await build(t)
  const ru = await createArticle(h, { headline: 'Путин встретился с Асадом в Москве' })
  t.equal(ru.slug, 'putin-vstretilsya-s-asadom-v-moskve')
  const ar = await createArticle(h, { headline: 'الأسد يلتقي بوتين في موسكو' })
  t.match(ar.slug, SLUG)
  t.ok(ar.slug.split('-').length >= 4, `one part per word (${ar.slug})`)
  t.equal((await getBy(h, ar.slug)).json().headline, 'الأسد يلتقي بوتين في موسكو')
})

t.test('CJK-only and emoji-only headlines still get a valid, unique slug', async (t) => {
  const h = await build(t)
  const made = []
  for (const headline of ['日本経済が回復', '日本経済が回復', '🎉🔥🚀']) {
    const res = await post(h, { headline })
    t.equal(res.statusCode, 201, headline)
    made.push(res.json())
  }
  for (const a of made) {
    t.match(a.slug, SLUG, `${a.headline}: ${a.slug}`)
    t.ok(a.slug.length <= 120)
    t.equal((await getBy(h, a.slug)).json().id, a.id, `${a.slug} resolves`)
  }
  t.equal(new Set(made.map((a) => a.slug)).size, 3, 'all different')
})

t.test('a very long headline gives a slug of reasonable length', async (t) => {
  const h = await build(t)
  const a = await createArticle(h, { headline: 'word '.repeat(60).trim() })
  t.match(a.slug, SLUG)
  t.ok(a.slug.length <= 80, `${a.slug.length} characters`)
  t.notMatch(a.slug, /-$/)
})

t.test('an explicit slug is kept', async (t) => {
  const h = await build(t)
  const a = await createArticle(h, { headline: 'Something else entirely', slug: 'my-own-slug' })
  t.equal(a.slug, 'my-own-slug')
  t.equal((await getBy(h, 'my-own-slug')).json().id, a.id)
})

t.test('an invalid explicit slug is a 400 at /slug', async (t) => {
  const h = await build(t)
  for (const slug of ['Bad Slug!', 'UPPER', 'double--hyphen', '-leading', 'trailing-', '']) {
    const res = await post(h, { headline: 'Fine headline', slug })
    t.equal(res.statusCode, 400, JSON.stringify(slug))
    t.same(res.json().errors.map((e: { in: string; pointer: string }) => [e.in, e.pointer]), [['body', '/slug']])
  }
  t.equal(h.db.$client.prepare('SELECT count(*) FROM articles').pluck().get(), 0, 'nothing stored')
})

t.test('a taken explicit slug is a 409', async (t) => {
  const h = await build(t)
  const first = await createArticle(h, { headline: 'Original story' })
  const res = await post(h, { headline: 'Another story', slug: first.slug })
  t.equal(res.statusCode, 409)
  t.equal(res.headers['content-type'], 'application/problem+json; charset=utf-8')
  t.equal(res.json().errors[0].pointer, '/slug')
  t.equal(h.db.$client.prepare('SELECT count(*) FROM articles').pluck().get(), 1, 'nothing stored')
})

t.test('GET accepts the id or the slug', async (t) => {
  const h = await build(t)
  const a = await createArticle(h, { headline: 'Find me', status: 'published' })
  const byId = await h.app.inject({ method: 'GET', url: `/v1/articles/${a.id}` })
  const bySlug = await h.app.inject({ method: 'GET', url: '/v1/articles/find-me' })
  t.equal(byId.statusCode, 200)
  t.equal(bySlug.statusCode, 200)
  t.same(bySlug.json(), byId.json())
  t.equal((await h.app.inject({ method: 'GET', url: '/v1/articles/find-me-not' })).statusCode, 404)
})

t.test('editing the headline keeps the slug, so links stay valid', async (t) => {
  const h = await build(t)
  const a = await createArticle(h, { headline: 'First wording' })
  const res = await patch(h, a.id, { headline: 'Better wording' })
  t.equal(res.json().slug, 'first-wording')
  t.equal((await getBy(h, 'first-wording')).json().headline, 'Better wording')
})

t.test('PATCH can change the slug', async (t) => {
  const h = await build(t)
  const a = await createArticle(h, { headline: 'Moving story' })
  const res = await patch(h, a.slug, { slug: 'moved-story' })
  t.equal(res.statusCode, 200)
  t.equal(res.json().slug, 'moved-story')
  t.equal(res.json().version, 2)
  t.equal((await getBy(h, 'moved-story')).json().id, a.id)
  t.equal(h.db.$client.prepare('SELECT slug FROM articles WHERE id = ?').pluck().get(a.id), 'moved-story')
  t.equal((await patch(h, a.id, { slug: 'moved-story' })).json().version, 2, 'the same slug again is no change')
})

t.test('PATCH to a taken slug is a 409 and changes nothing', async (t) => {
  const h = await build(t)
  const a = await createArticle(h, { headline: 'Story A' })
  const b = await createArticle(h, { headline: 'Story B' })
  const res = await patch(h, b.id, { slug: a.slug, headline: 'Story B, edited' })
  t.equal(res.statusCode, 409)
  t.equal(res.json().errors[0].pointer, '/slug')
  const row = h.db.$client.prepare('SELECT slug, headline, version FROM articles WHERE id = ?').get(b.id)
  t.same(row, { slug: 'story-b', headline: 'Story B', version: 1 })
  t.equal((await patch(h, b.id, { slug: 'Bad Slug!' })).statusCode, 400)
})

t.test('tags and sources follow the same slug rules', async (t) => {
  const h = await build(t)
  for (const [resource, make] of [['tags', createTag], ['sources', createSource]] as const) {
    t.same([(await make(h, { name: 'Middle East' })).slug, (await make(h, { name: 'Middle East' })).slug], ['middle-east', 'middle-east-2'])
    t.equal((await make(h, { name: 'Москва' })).slug, 'moskva')
    t.match((await make(h, { name: '北京' })).slug, SLUG)
    const headers = h.auth.write
    const taken = await h.app.inject({ method: 'POST', url: `/v1/${resource}`, headers, payload: { name: 'X', slug: 'middle-east' } })
    t.equal(taken.statusCode, 409, `${resource}: a taken slug`)
    const bad = await h.app.inject({ method: 'POST', url: `/v1/${resource}`, headers, payload: { name: 'X', slug: 'Bad Slug!' } })
    t.equal(bad.json().errors[0].pointer, '/slug', `${resource}: an invalid slug`)
    const renamed = await h.app.inject({ method: 'PATCH', url: `/v1/${resource}/middle-east-2`, headers, payload: { slug: 'middle-east' } })
    t.equal(renamed.statusCode, 409, `${resource}: PATCH to a taken slug`)
  }
})
