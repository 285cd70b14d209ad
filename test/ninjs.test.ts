import { readFileSync } from 'node:fs'
import { Ajv2020 } from 'ajv/dist/2020.js'
import addFormats from 'ajv-formats'
import type { LightMyRequestResponse } from 'fastify'
import t, { type Test } from 'tap'
import { toNinjs } from '../src/modules/articles/ninjs.js'
import { createArticle, createSource, createTag, seedArticleParts } from './factories.js'
import { build, type Harness } from './helper.js'

// The IPTC ninjs 3.1 representation of an article (issue 6), checked against the IPTC's own schema.

const NINJS = 'application/ninjs+json'
const readJson = (name: string) => JSON.parse(readFileSync(new URL(`../../shared/schemas/${name}`, import.meta.url), 'utf8'))

const ajv = new Ajv2020({ allErrors: true })
addFormats.default(ajv)
// The schema refers to GeoJSON's own schema for places[].geoJSON, which we never send: this stand-in
// rejects any value there, so a stray geoJSON fails instead of passing unchecked.
ajv.addSchema({ $id: 'https://geojson.org/schema/GeoJSON.json', not: {} })
const validateNinjs = ajv.compile(readJson('ninjs-schema_3.1.json'))

/** Asserts that `document` is valid ninjs 3.1, naming every violation. */
function assertNinjs(t: Test, document: unknown, what: string) {
  const valid = validateNinjs(document)
  t.ok(valid, `${what} is valid ninjs 3.1`, { errors: validateNinjs.errors })
}

const get = (h: Harness, url: string, headers: Record<string, string> = {}) => h.app.inject({ method: 'GET', url, headers })
const getNinjs = (h: Harness, idOrSlug: string, headers: Record<string, string> = {}) =>
  get(h, `/v1/articles/${idOrSlug}`, { accept: NINJS, ...headers })

/** A 200 ninjs answer: its content type checked, its body validated and returned. */
function ninjsOf(t: Test, res: LightMyRequestResponse, what: string) {
  t.equal(res.statusCode, 200, `${what}: 200`)
  t.equal(res.headers['content-type'], 'application/ninjs+json; charset=utf-8', `${what}: content type`)
  const document = res.json()
  assertNinjs(t, document, what)
  return document
}

const varyOf = (res: LightMyRequestResponse) =>
  String(res.headers.vary ?? '')
    .split(',')
    .map((name) => name.trim().toLowerCase())
    .filter((name) => name !== '')

t.test('the ajv setup accepts the IPTC examples and rejects documents that break the schema', async (t) => {
  for (const name of ['ninjs-example-3.1-004_simple_text_article.json', 'ninjs-example-3.1-005_complex_text_article.json']) {
    assertNinjs(t, readJson(name), name)
  }
  const example = readJson('ninjs-example-3.1-004_simple_text_article.json')
  for (const broken of [
    { ...example, uri: undefined },
    { ...example, pubStatus: 'published' },
    { ...example, headline: 'not a ninjs field' },
    { ...example, versionCreated: '9 July 2013' },
    { ...example, renditions: [{ href: 'https://example.com/a.jpg' }] },
    { ...example, places: [{ name: 'Gotland', geoJSON: { type: 'Point', coordinates: [18.3, 57.6] } }] },
  ]) {
    t.notOk(validateNinjs(JSON.parse(JSON.stringify(broken))), `rejected: ${JSON.stringify(broken).slice(-80)}`)
  }
})

t.test('a minimal published article', async (t) => {
  const h = await build(t)
  const article = await createArticle(h, { status: 'published' })
  const doc = ninjsOf(t, await getNinjs(h, article.slug), 'minimal')
  t.equal(doc.uri, `http://localhost/v1/articles/${article.id}`, 'uri names the article by id, also when read by slug')
  const elsewhere = ninjsOf(t, await getNinjs(h, article.id, { host: 'news.example:8443' }), 'another host')
  t.equal(elsewhere.uri, `http://news.example:8443/v1/articles/${article.id}`, 'the base is the one the client used')
  const badHost = await getNinjs(h, article.id, { host: 'news example' })
  t.equal(badHost.statusCode, 400, 'a Host that is no host is a 400, not a 500')
  t.equal(badHost.json().errors[0].pointer, '/host')
  t.match(doc, {
    standard: { name: 'ninjs', version: '3.1' },
    type: 'text',
    version: '1',
    firstCreated: article.createdAt,
    versionCreated: article.updatedAt,
    pubStatus: 'usable',
    language: 'en',
    slugline: article.slug,
    headlines: [{ role: 'main', value: article.headline }],
  })
  t.same(doc.bodies, [
    { role: 'main', contentType: 'text/plain', value: article.bodyText, wordCount: article.wordCount },
    { role: 'richtext', contentType: 'text/html', value: article.bodyHtml, wordCount: article.wordCount },
  ])
  for (const field of ['embargoedUntil', 'descriptions', 'by', 'located', 'subjects', 'people', 'infoSources', 'associations', 'altIds']) {
    t.notOk(field in doc, `no ${field}`)
  }
})

t.test('the seed article: headline, body, byline and caption survive byte for byte', async (t) => {
  const h = await build(t)
  await createSource(h, { name: 'Xinhua' })
  const seed = seedArticleParts()
  t.ok(seed.headline.includes('\u2019'), 'the fixture has curly quotes')
  const { caption: _caption, ...fields } = seed
  const created = await createArticle(h, {
    ...fields,
    summary: 'Walid al\u2011Moallem\u00a0backs a \u201cregional alliance\u201d \u{1F30D}',
    dateline: 'DAMASCUS',
    image: { caption: seed.caption, credit: 'Xinhua' },
    source: 'xinhua',
    status: 'published',
  })
  const res = await getNinjs(h, created.slug)
  const doc = ninjsOf(t, res, 'seed')
  t.equal(doc.headlines[0].value, seed.headline)
  t.equal(Buffer.compare(Buffer.from(doc.bodies[0].value), Buffer.from(seed.body)), 0, 'text body: same bytes')
  t.equal(doc.bodies[1].value, created.bodyHtml)
  t.ok(res.rawPayload.includes(Buffer.from(seed.headline)), 'the headline is sent as UTF-8, not \\u-escaped')
  t.same(doc.descriptions, [{ role: 'summary', contentType: 'text/plain', value: created.summary }])
  t.equal(doc.by, seed.byline)
  t.equal(doc.located, 'DAMASCUS')
  t.same(doc.associations[0].descriptions, [{ role: 'caption', value: seed.caption }])
  t.equal(doc.associations[0].by, 'Xinhua', 'the credit is the picture’s by')
  t.notOk('renditions' in doc.associations[0], 'an image without a url has no rendition')
})

t.test('tags of every kind, a source and an image', async (t) => {
  const h = await build(t)
  const kinds = ['subject', 'person', 'organisation', 'place', 'event'] as const
  const tags = []
  for (const kind of kinds) tags.push(await createTag(h, { name: `A ${kind}`, slug: `a-${kind}`, kind }))
  const extra = await createTag(h, { name: 'Another subject', slug: 'another-subject' })
  const source = await createSource(h, { name: 'Agence Exemple', slug: 'agence' })
  const article = await createArticle(h, {
    status: 'published',
    tags: [...kinds.map((kind) => `a-${kind}`), 'another-subject'],
    source: 'agence',
    externalId: 'AP-2015-0723-17',
    image: { url: 'https://images.example/photos/Zürich lake.jpg', caption: 'The lake', credit: 'Photo: Jo Example' },
  })
  const doc = ninjsOf(t, await getNinjs(h, article.id), 'tagged')
  const concept = (tag: { id: string; name: string; slug: string }) => ({
    name: tag.name,
    uri: `http://localhost/v1/tags/${tag.id}`,
    literal: tag.slug,
  })
  t.same(doc.subjects, [concept(tags[0]), concept(extra)], 'subjects in editorial order')
  t.same(doc.people, [concept(tags[1])])
  t.same(doc.organisations, [concept(tags[2])])
  t.same(doc.places, [concept(tags[3])])
  t.same(doc.events, [concept(tags[4])])
  t.same(doc.infoSources, [
    {
      name: 'Agence Exemple',
      uri: `http://localhost/v1/sources/${source.id}`,
      literal: 'agence',
      role: 'http://cv.iptc.org/newscodes/contentprodpartyrole/contentSource',
    },
  ])
  t.same(doc.altIds, [{ role: 'externalId', value: 'AP-2015-0723-17' }])
  t.same(doc.associations, [
    {
      name: 'image',
      uri: `${doc.uri}#image`,
      type: 'picture',
      representationType: 'partial',
      by: 'Photo: Jo Example',
      descriptions: [{ role: 'caption', value: 'The lake' }],
      renditions: [{ name: 'original', href: 'https://images.example/photos/Z%C3%BCrich%20lake.jpg', title: 'The lake' }],
    },
  ])
  for (const tag of [...tags, extra]) t.equal((await get(h, new URL(concept(tag).uri).pathname)).statusCode, 200, 'tag uri resolves')
  t.equal((await get(h, new URL(doc.infoSources[0].uri).pathname)).statusCode, 200, 'source uri resolves')
})

t.test('pubStatus: withheld for draft, scheduled and embargoed; usable when the embargo ends; canceled when withdrawn', async (t) => {
  const h = await build(t)
  const draft = await createArticle(h)
  const scheduled = await createArticle(h, { status: 'published', publishedAt: '2026-02-01T00:00:00.000Z' })
  const embargoed = await createArticle(h, { status: 'published', embargoedUntil: '2026-01-16T00:00:00.000Z' })
  for (const [article, what] of [[draft, 'draft'], [scheduled, 'scheduled'], [embargoed, 'embargoed']] as const) {
    t.equal(ninjsOf(t, await getNinjs(h, article.id, h.auth.write), what).pubStatus, 'withheld', what)
    const anonymous = await getNinjs(h, article.id)
    t.equal(anonymous.statusCode, 404, `${what}: still 404 anonymously with the ninjs Accept`)
    t.equal(anonymous.headers['content-type'], 'application/problem+json; charset=utf-8')
  }
  t.equal(ninjsOf(t, await getNinjs(h, embargoed.id, h.auth.write), 'embargoed').embargoedUntil, '2026-01-16T00:00:00.000Z')

  h.clock.now = Date.parse('2026-01-16T00:00:01.000Z')
  for (const headers of [{}, h.auth.read, h.auth.write]) {
    const doc = ninjsOf(t, await getNinjs(h, embargoed.id, headers), 'embargo over')
    t.match(doc, { pubStatus: 'usable', embargoedUntil: '2026-01-16T00:00:00.000Z' })
  }

  const published = await createArticle(h, { status: 'published' })
  const withdraw = await h.app.inject({
    method: 'POST',
    url: `/v1/articles/${published.id}/withdraw`,
    headers: h.auth.write,
    payload: { reason: 'Legal' },
  })
  t.equal(withdraw.statusCode, 200)
  const doc = ninjsOf(t, await getNinjs(h, published.id, h.auth.write), 'withdrawn')
  t.match(doc, { pubStatus: 'canceled', version: '2' })
  t.equal((await getNinjs(h, published.id)).statusCode, 410, 'withdrawn: 410 anonymously with the ninjs Accept too')
})

t.test('content negotiation by Accept, with q-values and wildcards', async (t) => {
  const h = await build(t)
  const article = await createArticle(h, { status: 'published' })
  const cases: [string | undefined, 'ninjs' | 'json'][] = [
    [undefined, 'json'],
    ['application/json', 'json'],
    ['*/*', 'json'],
    ['application/*', 'json'],
    ['text/html', 'json'],
    [NINJS, 'ninjs'],
    ['Application/NINJS+json', 'ninjs'],
    [`${NINJS}; q=1.0`, 'ninjs'],
    [`application/json;q=0.5, ${NINJS}`, 'ninjs'],
    [`${NINJS};q=0.4, application/json`, 'json'],
    [`${NINJS}, */*;q=0.1`, 'ninjs'],
    [`text/html, ${NINJS};q=0.9`, 'ninjs'],
    [`application/*;q=0.2, ${NINJS};q=0.8`, 'ninjs'],
    [`${NINJS};q=0`, 'json'],
    [`${NINJS};q=2, application/json;q=0.1`, 'json'],
  ]
  for (const [accept, expected] of cases) {
    const res = await get(h, `/v1/articles/${article.id}`, accept === undefined ? {} : { accept })
    t.equal(res.statusCode, 200)
    if (expected === 'ninjs') {
      ninjsOf(t, res, String(accept))
    } else {
      t.equal(res.headers['content-type'], 'application/json; charset=utf-8', `${accept}: JSON`)
      t.equal(res.json().id, article.id)
    }
  }
})

t.test('Vary names Accept once, next to Authorization and Accept-Encoding, on both representations', async (t) => {
  const h = await build(t)
  const article = await createArticle(h, { status: 'published' })
  for (const accept of [NINJS, 'application/json']) {
    for (const headers of [{ accept }, { accept, ...h.auth.write }]) {
      const vary = varyOf(await get(h, `/v1/articles/${article.id}`, headers))
      t.same([...vary].sort(), ['accept', 'accept-encoding', 'authorization'], `${accept}: ${vary}`)
    }
  }
})

t.test('each representation has its own strong ETag, and If-None-Match answers 304 for each', async (t) => {
  const h = await build(t)
  const article = await createArticle(h, { status: 'published' })
  const url = `/v1/articles/${article.id}`
  const json = await get(h, url)
  const ninjs = await getNinjs(h, article.id)
  t.equal(json.headers.etag, '"v1"')
  t.equal(ninjs.headers.etag, '"v1-ninjs"')
  t.equal(ninjs.headers['last-modified'], json.headers['last-modified'])

  const notModified = await getNinjs(h, article.id, { 'if-none-match': '"v1-ninjs"' })
  t.equal(notModified.statusCode, 304)
  t.equal(notModified.body, '')
  t.equal(notModified.headers.etag, '"v1-ninjs"')
  t.ok(varyOf(notModified).includes('accept'), '304 keeps Vary: Accept')
  t.equal((await get(h, url, { 'if-none-match': '"v1"' })).statusCode, 304, 'JSON 304')
  t.equal((await getNinjs(h, article.id, { 'if-none-match': 'W/"v1-ninjs"' })).statusCode, 304, 'weak comparison')
  t.equal((await get(h, url, { 'if-none-match': '"v0", "v1-ninjs", "v1"' })).statusCode, 304, 'a list')

  t.equal((await getNinjs(h, article.id, { 'if-none-match': '"v1"' })).statusCode, 200, 'the JSON tag does not match ninjs')
  t.equal((await get(h, url, { 'if-none-match': '"v1-ninjs"' })).statusCode, 200, 'the ninjs tag does not match JSON')

  const edit = await h.app.inject({ method: 'PATCH', url, headers: { ...h.auth.write, 'if-match': '"v1"' }, payload: { headline: 'New' } })
  t.equal(edit.statusCode, 200, 'If-Match still takes the JSON ETag')
  const changed = await getNinjs(h, article.id, { 'if-none-match': '"v1-ninjs"' })
  t.equal(changed.headers.etag, '"v2-ninjs"')
  t.match(ninjsOf(t, changed, 'after an edit'), { version: '2', headlines: [{ value: 'New' }] })
})

t.test('toNinjs: a base URL with a path, externalId as altIds, publiclyVisible false withholds', async (t) => {
  const h = await build(t)
  const article = await createArticle(h, { status: 'published', embargoedUntil: '2026-01-15T13:00:00.000Z' })
  const options = { baseUrl: 'https://news.example/api' }
  const plain = toNinjs(article, options)
  assertNinjs(t, plain, 'plain')
  t.equal(plain.uri, `https://news.example/api/v1/articles/${article.id}`)
  t.equal(plain.pubStatus, 'usable', 'without publiclyVisible the status alone decides')
  t.notOk('altIds' in plain)
  const withExternal = toNinjs({ ...article, externalId: 'AP-2015-0723-17' }, { ...options, publiclyVisible: false })
  assertNinjs(t, withExternal, 'with externalId')
  t.same(withExternal.altIds, [{ role: 'externalId', value: 'AP-2015-0723-17' }])
  t.equal(withExternal.pubStatus, 'withheld')
})

t.test('the OpenAPI document offers application/ninjs+json for getArticle', async (t) => {
  const h = await build(t)
  const spec = (await get(h, '/openapi.json')).json()
  const ok = spec.paths['/v1/articles/{idOrSlug}'].get.responses['200'].content
  t.same(Object.keys(ok).sort(), ['application/json', NINJS])
  t.same(ok[NINJS].schema, { $ref: '#/components/schemas/Ninjs' })
  t.match(spec.components.schemas.Ninjs, { type: 'object', required: ['uri'] })
})
