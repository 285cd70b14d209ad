import { request } from 'node:http'
import type { AddressInfo } from 'node:net'
import { gunzipSync } from 'node:zlib'
import t, { type Test } from 'tap'
import { EXPORT_PAGE_SIZE } from '../src/modules/bulk/bulk.service.js'
import { createArticle, createPublished, createSources, createTags, seedArticleParts } from './factories.js'
import { build, type Harness } from './helper.js'

// GET /v1/export (issue 6): NDJSON of every visible article, one per line, streamed in pages.

type Headers = Record<string, string>
const LATER = '2026-01-15T15:00:00.000Z' // three hours after the test clock starts

const exportOf = (h: Harness, headers: Headers = {}, query = '') =>
  h.app.inject({ method: 'GET', url: `/v1/export${query}`, headers })

/** The lines of an NDJSON body, parsed; a body that is not NDJSON fails the test here. */
function lines(body: string): any[] {
  if (body === '') return []
  if (!body.endsWith('\n')) throw new Error('NDJSON ends every line with \\n')
  return body.slice(0, -1).split('\n').map((line) => JSON.parse(line))
}

const move = async (h: Harness, id: string, m: string, payload?: object) => {
  const res = await h.app.inject({ method: 'POST', url: `/v1/articles/${id}/${m}`, headers: h.auth.write, ...(payload ? { payload } : {}) })
  if (res.statusCode !== 200) throw new Error(`${m}: ${res.statusCode} ${res.body}`)
  return res.json()
}

/** One article in each state an export must tell apart, by slug. */
async function everyState(h: Harness) {
  const published = await createPublished(h, { slug: 'published' })
  await createArticle(h, { slug: 'draft' })
  await createPublished(h, { slug: 'scheduled', publishedAt: LATER })
  await createPublished(h, { slug: 'embargoed', embargoedUntil: LATER })
  await move(h, (await createPublished(h, { slug: 'archived' })).id, 'archive')
  await move(h, (await createPublished(h, { slug: 'withdrawn' })).id, 'withdraw', { reason: 'Legal' })
  const trashed = await createPublished(h, { slug: 'trashed' })
  await h.app.inject({ method: 'DELETE', url: `/v1/articles/${trashed.id}`, headers: h.auth.write })
  return published
}

t.test('each line is the article exactly as GET /v1/articles/{id} returns it', async (t) => {
  const h = await build(t)
  await createSources(h, 'xinhua')
  await createTags(h, 'syria', 'isil')
  const seed = seedArticleParts()
  await createPublished(h, {
    headline: seed.headline,
    body: seed.body,
    byline: seed.byline,
    image: { caption: seed.caption, credit: 'Xinhua' },
    source: 'xinhua',
    tags: ['syria', 'isil'],
    publishedAt: seed.publishedAt,
    externalId: 'tbp-2015-07-23-1',
  })
  const second = await createPublished(h, { bodyFormat: 'markdown', body: '# Title\n\nSome *words*.' })
  await h.app.inject({ method: 'POST', url: `/v1/articles/${second.id}/corrections`, headers: h.auth.write, payload: { text: 'A name was misspelt.' } })

  const res = await exportOf(h)
  t.equal(res.statusCode, 200)
  t.equal(res.headers['content-type'], 'application/x-ndjson; charset=utf-8')
  const body = res.body
  const rawLines = body.slice(0, -1).split('\n')
  t.equal(rawLines.length, 2, 'one line per article, each ending in \\n')
  for (const raw of rawLines) {
    const { id } = JSON.parse(raw)
    const one = await h.app.inject({ method: 'GET', url: `/v1/articles/${id}` })
    t.equal(raw, one.body, `the line of ${id} is byte for byte the GET body`)
  }
  const [first, withCorrection] = lines(body)
  t.equal(first.body, seed.body, 'Unicode text as stored')
  t.equal(first.externalId, 'tbp-2015-07-23-1')
  t.same(first.tags.map((tag: { slug: string }) => tag.slug), ['syria', 'isil'])
  t.equal(withCorrection.corrections.length, 1)
})

t.test('anonymous readers and read keys get what the public list shows; write keys every state but the trash', async (t) => {
  const h = await build(t)
  await everyState(h)
  const slugs = async (headers: Headers) => lines((await exportOf(h, headers)).body).map((a) => a.slug)

  t.same(await slugs({}), ['published'], 'anonymous: published, live, not embargoed')
  t.same(await slugs(h.auth.read), ['published'], 'a read key sees no more than the public')
  t.same(await slugs(h.auth.write), ['published', 'draft', 'scheduled', 'embargoed', 'archived', 'withdrawn'])
  t.same(await slugs(h.auth.admin), await slugs(h.auth.write))

  const list = await h.app.inject({ method: 'GET', url: '/v1/articles' })
  t.same(list.json().data.map((a: { slug: string }) => a.slug), await slugs({}), 'the same set as the public list')

  h.clock.now = Date.parse(LATER) + 1
  t.same((await slugs({})).sort(), ['embargoed', 'published', 'scheduled'], 'time alone brings in the scheduled and the embargoed')
})

t.test('caching, compression and errors: anonymous exports are public, keyed ones private; a bad format is a 400', async (t) => {
  const h = await build(t)
  await createPublished(h, { body: 'Words, words, words. '.repeat(200) })
  const anonymous = await exportOf(h)
  t.match(anonymous.headers['cache-control'], /^public/)
  t.match(anonymous.headers.vary, /Authorization/)
  const gzipped = await exportOf(h, { 'accept-encoding': 'gzip' })
  t.equal(gzipped.headers['content-encoding'], 'gzip')
  t.ok(gzipped.rawPayload.length < anonymous.rawPayload.length / 5, 'NDJSON compresses like JSON')
  t.equal(gunzipSync(gzipped.rawPayload).toString('utf8'), anonymous.body)
  t.equal((await exportOf(h, h.auth.write)).headers['cache-control'], 'private, no-store')

  const bad = await exportOf(h, {}, '?format=xml')
  t.equal(bad.statusCode, 400)
  t.match(bad.headers['content-type'], /^application\/problem\+json/)
  t.equal(bad.json().errors[0].pointer, '/format')

  const unauthorised = await exportOf(h, { authorization: 'Bearer nd_not-a-key' })
  t.equal(unauthorised.statusCode, 401)
})

t.test('an empty database exports an empty body', async (t) => {
  const h = await build(t)
  const res = await exportOf(h)
  t.equal(res.statusCode, 200)
  t.equal(res.body, '')
})

t.test('format=ninjs writes one ninjs document per line', async (t) => {
  const h = await build(t)
  await createPublished(h, { externalId: 'agency-1' })
  const [document] = lines((await exportOf(h, {}, '?format=ninjs')).body)
  t.equal(document.standard.name, 'ninjs')
  t.equal(document.pubStatus, 'usable')
  t.same(document.altIds, [{ role: 'externalId', value: 'agency-1' }])
})

/** A real server: the body arrives over a socket, so backpressure is real. */
async function listen(h: Harness) {
  await h.app.listen({ host: '127.0.0.1', port: 0 })
  return (h.app.server.address() as AddressInfo).port
}

/** Imports `count` published articles of ~15 KB a line (body, bodyHtml, bodyText). */
async function importBig(t: Test, h: Harness, count: number) {
  const text = 'x'.repeat(5000)
  const ndjson = Array.from({ length: count }, (_, i) => JSON.stringify({ headline: `Article ${i}`, body: text, status: 'published', slug: `a-${i}` })).join('\n')
  const imported = await h.app.inject({
    method: 'POST',
    url: '/v1/import',
    headers: { ...h.auth.write, 'content-type': 'application/x-ndjson' },
    payload: ndjson,
  })
  t.equal(imported.json().summary.created, count)
}

/** Counts the export's page queries (keyset by doc_id) as the server prepares them. */
function countPages(t: Test, h: Harness) {
  const client = h.db.$client
  const prepare = client.prepare.bind(client)
  const counter = { pages: 0 }
  client.prepare = ((source: string) => {
    if (/order by "articles"."doc_id"/.test(source)) counter.pages++
    return prepare(source)
  }) as typeof client.prepare
  t.teardown(() => {
    client.prepare = prepare
  })
  return counter
}

t.test('2,000 articles stream in pages, read only as fast as the client reads', async (t) => {
  const h = await build(t)
  await importBig(t, h, 2000) // 30 MB in all, more than socket buffers hold
  const counter = countPages(t, h)

  const port = await listen(h)
  const res = await new Promise<import('node:http').IncomingMessage>((resolve, reject) =>
    request({ host: '127.0.0.1', port, path: '/v1/export' }, resolve).on('error', reject).end(),
  )
  t.equal(res.headers['content-type'], 'application/x-ndjson; charset=utf-8')
  const body = res[Symbol.asyncIterator]()
  const first = await body.next()
  t.ok(!first.done && first.value.length > 0, 'the first chunk arrives')
  // The client reads nothing more for a while: the server must not run ahead to the end.
  await new Promise((resolve) => setTimeout(resolve, 300))
  const read = counter.pages * EXPORT_PAGE_SIZE
  t.ok(counter.pages >= 1 && read < 1000, `a client that does not read holds the server back: ${read} of 2,000 rows read`)

  const chunks: Buffer[] = [first.value]
  for (let next = await body.next(); !next.done; next = await body.next()) chunks.push(next.value)
  const all = lines(Buffer.concat(chunks).toString('utf8'))
  t.equal(all.length, 2000, 'every article, once')
  t.equal(new Set(all.map((a) => a.id)).size, 2000)
  t.same(all.slice(0, 3).map((a) => a.slug), ['a-0', 'a-1', 'a-2'], 'in stored order')
  t.equal(counter.pages, Math.floor(2000 / EXPORT_PAGE_SIZE) + 1, 'full pages, and one that finds the end')
})

t.test('an export gives the event loop a turn between pages, however fast the client reads', async (t) => {
  // inject takes every chunk at once, like a client on a fast link that drains the socket as it is
  // written: the export used to run to its end as one chain of promises, holding back every other
  // request (and timers) meanwhile.
  const h = await build(t)
  await importBig(t, h, EXPORT_PAGE_SIZE * 3)
  const counter = countPages(t, h)
  let exporting = true
  let seen = 0
  let most = 0
  const turn = () => {
    most = Math.max(most, counter.pages - seen)
    seen = counter.pages
    if (exporting) setImmediate(turn)
  }
  setImmediate(turn)
  const res = await exportOf(h)
  exporting = false
  t.equal(lines(res.body).length, EXPORT_PAGE_SIZE * 3)
  t.equal(counter.pages, 4)
  t.equal(most, 1, 'one page at most between two turns of the event loop')
})
