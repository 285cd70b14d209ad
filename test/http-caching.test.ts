import { brotliDecompressSync, gunzipSync } from 'node:zlib'
import type { LightMyRequestResponse } from 'fastify'
import t from 'tap'
import { ConfigError, loadConfig } from '../src/config.js'
import { createArticle, createTag } from './factories.js'
import { build, type Harness } from './helper.js'

// Cache-Control, Vary, response compression and CORS (ARCHITECTURE.md section 3, "Reads").

const DEFAULT_PUBLIC = 'public, max-age=60, stale-while-revalidate=300'
const ORIGIN = 'https://reader.example'

const get = (h: Harness, url: string, headers: Record<string, string> = {}) =>
  h.app.inject({ method: 'GET', url, headers })

/** The Vary field names, lower-cased, in order (duplicates kept, so a test can see them). */
const varyOf = (res: LightMyRequestResponse) =>
  String(res.headers.vary ?? '')
    .split(',')
    .map((name) => name.trim().toLowerCase())
    .filter((name) => name !== '')

/** Ten published articles: the list of them is several KiB of JSON. */
async function bigList(h: Harness) {
  for (let i = 0; i < 10; i++) {
    await createArticle(h, { status: 'published', summary: `Summary of story ${i}: ${'words '.repeat(20)}` })
  }
  return get(h, '/v1/articles')
}

t.test('config: CACHE_CONTROL_PUBLIC and CORS_ORIGINS, with defaults and named errors', async (t) => {
  const defaults = loadConfig({})
  t.equal(defaults.cacheControlPublic, DEFAULT_PUBLIC)
  t.same(defaults.corsOrigins, ['*'])
  const set = loadConfig({ CACHE_CONTROL_PUBLIC: 'public, max-age=5', CORS_ORIGINS: ' https://a.example, http://localhost:5173 ,' })
  t.equal(set.cacheControlPublic, 'public, max-age=5')
  t.same(set.corsOrigins, ['https://a.example', 'http://localhost:5173'], 'trimmed, empty members dropped')
  for (const env of [{ CORS_ORIGINS: 'a.example' }, { CORS_ORIGINS: 'https://a.example/app' }, { CORS_ORIGINS: ',' }]) {
    t.throws(() => loadConfig(env), { name: 'ConfigError', message: /CORS_ORIGINS/ }, JSON.stringify(env))
  }
  t.throws(() => loadConfig({ CACHE_CONTROL_PUBLIC: 'public\r\nSet-Cookie: x=1' }), ConfigError)
})

t.test('anonymous reads are public with the default Cache-Control; keyed reads are private, no-store', async (t) => {
  const h = await build(t)
  const article = await createArticle(h, { status: 'published' })
  for (const url of [`/v1/articles/${article.id}`, '/v1/articles']) {
    for (const method of ['GET', 'HEAD'] as const) {
      const anonymous = await h.app.inject({ method, url })
      t.equal(anonymous.statusCode, 200)
      t.equal(anonymous.headers['cache-control'], DEFAULT_PUBLIC, `${method} ${url} anonymous`)
      for (const headers of [h.auth.read, h.auth.write]) {
        const keyed = await h.app.inject({ method, url, headers })
        t.equal(keyed.statusCode, 200)
        t.equal(keyed.headers['cache-control'], 'private, no-store', `${method} ${url} keyed`)
      }
    }
  }
})

t.test('the public Cache-Control comes from the configuration', async (t) => {
  const h = await build(t, { config: { cacheControlPublic: 'public, max-age=5, must-revalidate' } })
  const article = await createArticle(h, { status: 'published' })
  t.equal((await get(h, `/v1/articles/${article.id}`)).headers['cache-control'], 'public, max-age=5, must-revalidate')
  t.equal((await get(h, '/v1/articles')).headers['cache-control'], 'public, max-age=5, must-revalidate')
  t.equal((await get(h, '/v1/articles', h.auth.read)).headers['cache-control'], 'private, no-store', 'keyed stays private')
})

t.test('Vary names Authorization and Accept-Encoding once each, on every kind of read', async (t) => {
  const h = await build(t)
  const plain = await bigList(h)
  const etag = String(plain.headers.etag)
  const br = { 'accept-encoding': 'br' }
  const reads: [string, LightMyRequestResponse][] = [
    ['identity', plain],
    ['compressed', await get(h, '/v1/articles', br)],
    ['keyed and compressed', await get(h, '/v1/articles', { ...h.auth.write, ...br })],
    ['304', await get(h, '/v1/articles', { ...br, 'if-none-match': etag })],
    ['HEAD', await h.app.inject({ method: 'HEAD', url: '/v1/articles', headers: br })],
    ['404', await get(h, '/v1/articles/no-such-article', br)],
  ]
  for (const [label, res] of reads) t.same(varyOf(res), ['authorization', 'accept-encoding'], label)
  t.match(plain.headers.vary, /\bAuthorization, Accept-Encoding\b/, 'canonical spelling')
})

t.test('Vary keeps Origin when CORS reflects a listed origin', async (t) => {
  const h = await build(t, { config: { corsOrigins: [ORIGIN] } })
  await bigList(h)
  const requests: Record<string, string>[] = [{ origin: ORIGIN }, { origin: ORIGIN, 'accept-encoding': 'gzip' }]
  for (const headers of requests) {
    t.same(varyOf(await get(h, '/v1/articles', headers)), ['origin', 'authorization', 'accept-encoding'])
  }
})

t.test('a large list is compressed with br or gzip on request and decompresses to the same JSON', async (t) => {
  const h = await build(t)
  const plain = await bigList(h)
  t.equal(plain.statusCode, 200)
  t.equal(plain.json().data.length, 10)
  t.ok(plain.rawPayload.length > 1024, `the list is ${plain.rawPayload.length} bytes`)
  t.notOk(plain.headers['content-encoding'], 'no Accept-Encoding: no compression')
  const decoders = { br: brotliDecompressSync, gzip: gunzipSync }
  for (const [encoding, decode] of Object.entries(decoders)) {
    const res = await get(h, '/v1/articles', { 'accept-encoding': encoding })
    t.equal(res.statusCode, 200)
    t.equal(res.headers['content-encoding'], encoding)
    t.ok(res.rawPayload.length < plain.rawPayload.length, `${encoding} is smaller`)
    t.equal(decode(res.rawPayload).toString('utf8'), plain.body, `${encoding} decompresses to the same bytes`)
    t.same(JSON.parse(decode(res.rawPayload).toString('utf8')), plain.json())
    t.equal(res.headers.etag, plain.headers.etag, 'the ETag is that of the uncompressed body')
    t.match(res.headers['content-type'], /^application\/json/)
  }
  const both = await get(h, '/v1/articles', { 'accept-encoding': 'gzip, deflate, br' })
  t.equal(both.headers['content-encoding'], 'br', 'br is preferred when both are accepted')
  const gzipPreferred = await get(h, '/v1/articles', { 'accept-encoding': 'br;q=0.5, gzip' })
  t.equal(gzipPreferred.headers['content-encoding'], 'gzip', 'q-values are honoured')
  t.notOk((await get(h, '/v1/articles', { 'accept-encoding': 'identity' })).headers['content-encoding'])
})

t.test('small bodies are not compressed', async (t) => {
  const h = await build(t)
  const tag = await createTag(h)
  for (const url of ['/health', `/v1/tags/${tag.id}`, '/v1/articles']) {
    const res = await get(h, url, { 'accept-encoding': 'br, gzip' })
    t.equal(res.statusCode, 200, url)
    t.ok(res.rawPayload.length < 1024, `${url}: ${res.rawPayload.length} bytes`)
    t.notOk(res.headers['content-encoding'], `${url} is sent as is`)
    t.doesNotThrow(() => res.json())
  }
})

t.test('If-None-Match still answers 304 with no body when compression is on; HEAD is not compressed', async (t) => {
  const h = await build(t)
  const plain = await bigList(h)
  const article = plain.json().data[0]
  for (const url of ['/v1/articles', `/v1/articles/${article.id}`]) {
    const first = await get(h, url, { 'accept-encoding': 'br' })
    const etag = String(first.headers.etag)
    const again = await get(h, url, { 'accept-encoding': 'br', 'if-none-match': etag })
    t.equal(again.statusCode, 304, url)
    t.equal(again.rawPayload.length, 0, 'no body')
    t.notOk(again.headers['content-encoding'])
    t.notOk(again.headers['content-type'])
    t.equal(again.headers.etag, etag)
    const weak = await get(h, url, { 'accept-encoding': 'gzip', 'if-none-match': `W/${etag}` })
    t.equal(weak.statusCode, 304, 'weak comparison, other encoding')
  }
  const head = await h.app.inject({ method: 'HEAD', url: '/v1/articles', headers: { 'accept-encoding': 'br' } })
  t.equal(head.statusCode, 200)
  t.equal(head.rawPayload.length, 0)
  t.notOk(head.headers['content-encoding'], 'HEAD describes the identity body')
  t.equal(head.headers['content-length'], String(plain.rawPayload.length))
  t.equal(head.headers.etag, plain.headers.etag)
  const headAgain = await h.app.inject({
    method: 'HEAD',
    url: '/v1/articles',
    headers: { 'accept-encoding': 'br', 'if-none-match': String(plain.headers.etag) },
  })
  t.equal(headAgain.statusCode, 304)
  t.equal(headAgain.rawPayload.length, 0)
})

const preflight = (h: Harness, origin: string, url = '/v1/articles/some-article') =>
  h.app.inject({
    method: 'OPTIONS',
    url,
    headers: { origin, 'access-control-request-method': 'PATCH', 'access-control-request-headers': 'authorization, if-match, content-type' },
  })

t.test('a CORS preflight from an allowed origin gets the allow headers and a max-age', async (t) => {
  for (const corsOrigins of [['*'], ['https://other.example', ORIGIN]]) {
    await t.test(`CORS_ORIGINS=${corsOrigins.join(',')}`, async (t) => {
      const h = await build(t, { config: { corsOrigins } })
      const res = await preflight(h, ORIGIN)
      t.equal(res.statusCode, 204)
      t.equal(res.headers['access-control-allow-origin'], corsOrigins.includes('*') ? '*' : ORIGIN)
      const methods = String(res.headers['access-control-allow-methods']).split(/,\s*/)
      for (const method of ['GET', 'HEAD', 'POST', 'PATCH', 'DELETE']) t.ok(methods.includes(method), `allows ${method}`)
      const allowed = String(res.headers['access-control-allow-headers']).toLowerCase().split(/,\s*/)
      for (const name of ['authorization', 'content-type', 'if-match', 'if-none-match', 'idempotency-key']) {
        t.ok(allowed.includes(name), `allows ${name}`)
      }
      t.equal(res.headers['access-control-max-age'], '86400')
      t.notOk(res.headers['access-control-allow-credentials'], 'keys travel in Authorization, not cookies')
      t.equal(res.rawPayload.length, 0)
      t.equal((await preflight(h, ORIGIN, '/v1/articles')).statusCode, 204, 'on a collection too')
    })
  }
})

t.test('a preflight from an origin not on the list gets no Access-Control-Allow-Origin', async (t) => {
  const h = await build(t, { config: { corsOrigins: ['https://other.example', ORIGIN] } })
  const res = await preflight(h, 'https://evil.example')
  t.not(res.statusCode, 405)
  t.notOk(res.headers['access-control-allow-origin'])
  t.ok(varyOf(res).includes('origin'), 'the answer depends on Origin')
  const read = await get(h, '/v1/articles', { origin: 'https://evil.example' })
  t.equal(read.statusCode, 200, 'the server still answers; the browser withholds it')
  t.notOk(read.headers['access-control-allow-origin'])
})

t.test('a simple GET with Origin exposes ETag, Link, Location, X-Request-Id and the rate-limit headers', async (t) => {
  const h = await build(t, { config: { corsOrigins: [ORIGIN] } })
  await createArticle(h, { status: 'published' })
  await createArticle(h, { status: 'published' })
  const res = await get(h, '/v1/articles?limit=1', { origin: ORIGIN })
  t.equal(res.statusCode, 200)
  t.equal(res.headers['access-control-allow-origin'], ORIGIN)
  t.ok(res.headers.link, 'there is a Link header to read')
  const exposed = String(res.headers['access-control-expose-headers']).toLowerCase().split(/,\s*/)
  for (const name of ['etag', 'link', 'location', 'x-request-id', 'ratelimit', 'ratelimit-policy', 'retry-after']) {
    t.ok(exposed.includes(name), `exposes ${name}`)
  }
  const denied = await get(h, '/v1/articles', { origin: ORIGIN, authorization: 'Bearer nd_neverIssued' })
  t.equal(denied.statusCode, 401)
  t.equal(denied.headers['access-control-allow-origin'], ORIGIN, 'a script can read the 401')
})

t.test('OPTIONS without CORS headers answers the Allow list, or a 404 problem', async (t) => {
  const h = await build(t)
  const item = await h.app.inject({ method: 'OPTIONS', url: '/v1/articles/anything' })
  t.equal(item.statusCode, 204)
  t.same(String(item.headers.allow).split(/,\s*/).sort(), ['DELETE', 'GET', 'HEAD', 'PATCH'])
  const list = await h.app.inject({ method: 'OPTIONS', url: '/v1/articles', headers: { origin: ORIGIN } })
  t.equal(list.statusCode, 204, 'Origin alone is not a preflight')
  t.same(String(list.headers.allow).split(/,\s*/).sort(), ['GET', 'HEAD', 'POST'])
  const missing = await h.app.inject({ method: 'OPTIONS', url: '/v1/nothing-here' })
  t.equal(missing.statusCode, 404)
  t.match(missing.headers['content-type'], /^application\/problem\+json/)
  t.match(missing.json(), { type: '/problems/not-found', status: 404 })
  const put = await h.app.inject({ method: 'PUT', url: '/v1/nothing-here', payload: {} })
  t.equal(put.statusCode, 404, 'the CORS catch-all OPTIONS route does not turn 404s into 405s')
  const wrongMethod = await h.app.inject({ method: 'PUT', url: '/v1/articles', payload: {} })
  t.equal(wrongMethod.statusCode, 405)
  t.notMatch(String(wrongMethod.headers.allow), /OPTIONS/)
})
