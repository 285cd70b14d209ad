import t, { type Test } from 'tap'
import type { LightMyRequestResponse } from 'fastify'
import { build, type Harness } from './helper.js'
import { createArticle, createSource, createTag } from './factories.js'

// RFC 9457 problem details on every error path (ARCHITECTURE.md section 4).

/** Asserts a complete problem+json answer and returns its body. */
function problem(t: Test, res: LightMyRequestResponse, status: number, type: string, instance: string) {
  t.equal(res.statusCode, status, `status ${status}: ${res.body.slice(0, 300)}`)
  t.match(res.headers['content-type'], /^application\/problem\+json/, 'problem+json media type')
  const body = res.json()
  t.match(body, { type: String, title: /\S/, status: Number, detail: /\S/, instance: String, requestId: /\S/ })
  t.equal(body.type, `/problems/${type}`, 'type')
  t.equal(body.status, status, 'status repeated in the body')
  t.equal(body.instance, instance, 'instance is the path')
  t.equal(body.requestId, res.headers['x-request-id'], 'requestId matches the x-request-id header')
  return body
}

const pointers = (body: { errors: { in: string; pointer: string }[] }) =>
  body.errors.map((e) => `${e.in}:${e.pointer}`).sort()

const count = (h: Harness, table: string) =>
  (h.db.$client.prepare(`select count(*) as n from ${table}`).get() as { n: number }).n

const postArticle = (h: Harness, payload: string | object, headers: Record<string, string> = {}) =>
  h.app.inject({
    method: 'POST',
    url: '/v1/articles',
    headers: { ...h.auth.write, 'content-type': 'application/json', ...headers },
    payload: typeof payload === 'string' ? payload : JSON.stringify(payload),
  })

t.test('a missing required field is a 400 pointing at it', async (t) => {
  const h = await build(t)
  const body = problem(t, await postArticle(h, { body: 'Words.' }), 400, 'validation', '/v1/articles')
  t.equal(body.errors.length, 1)
  t.match(body.errors[0], { in: 'body', pointer: '/headline', message: String })
})

t.test('every bad field gets its own errors[] entry', async (t) => {
  const h = await build(t)
  const res = await postArticle(h, { body: 'Words.', image: { url: 'not a url' }, tags: ['a', 5] })
  const body = problem(t, res, 400, 'validation', '/v1/articles')
  t.same(pointers(body), ['body:/headline', 'body:/image/url', 'body:/tags/1'])
  for (const error of body.errors) t.ok(error.message.length > 0, `${error.pointer} has a message`)
  t.equal(count(h, 'articles'), 0)
})

t.test('a bad query parameter names the query part', async (t) => {
  const h = await build(t)
  const res = await h.app.inject({ method: 'GET', url: '/v1/articles?limit=0' })
  const body = problem(t, res, 400, 'validation', '/v1/articles')
  t.same(body.errors.map((e: object) => ({ ...e, message: 'x' })), [{ in: 'query', pointer: '/limit', message: 'x' }])
})

t.test('path parameters: the schema decides, and a huge one is a 414', async (t) => {
  const h = await build(t)
  const slug = 'a'.repeat(120) // the longest slug the API accepts
  await createArticle(h, { slug, status: 'published' })
  t.equal((await h.app.inject({ method: 'GET', url: `/v1/articles/${slug}` })).statusCode, 200, 'fetchable by its slug')
  const long = 'b'.repeat(201)
  const body = problem(t, await h.app.inject({ method: 'GET', url: `/v1/articles/${long}` }), 400, 'validation', `/v1/articles/${long}`)
  t.same(pointers(body), ['params:/idOrSlug'])
  const huge = 'c'.repeat(5000)
  problem(t, await h.app.inject({ method: 'GET', url: `/v1/articles/${huge}` }), 414, 'uri-too-long', `/v1/articles/${huge}`)
  const put = await h.app.inject({ method: 'PUT', url: `/v1/articles/${slug}`, headers: h.auth.write, payload: {} })
  t.equal(put.statusCode, 405, 'a long slug with the wrong method is still a 405, not a 404')
})

t.test('an unknown body key is a 400 and nothing is written', async (t) => {
  const h = await build(t)
  const res = await postArticle(h, { headline: 'Hello', body: 'Words.', published_at: '2026-01-01T00:00:00Z' })
  const body = problem(t, res, 400, 'validation', '/v1/articles')
  t.same(pointers(body), ['body:/published_at'])
  t.equal(count(h, 'articles'), 0, 'no row')
  const list = await h.app.inject({ method: 'GET', url: '/v1/articles?status=draft', headers: h.auth.write })
  t.same(list.json().data, [], 'no draft either')
})

t.test('malformed JSON is a 400', async (t) => {
  const h = await build(t)
  problem(t, await postArticle(h, '{"headline": "x",'), 400, 'malformed-body', '/v1/articles')
  t.equal(count(h, 'articles'), 0)
})

t.test('a body that is not JSON is a 415', async (t) => {
  const h = await build(t)
  const res = await postArticle(h, 'headline=x', { 'content-type': 'text/plain' })
  problem(t, res, 415, 'unsupported-media-type', '/v1/articles')
})

t.test('a body over the limit is a 413', async (t) => {
  const h = await build(t, { config: { bodyLimit: 2048 } })
  const res = await postArticle(h, { headline: 'Big', body: 'a'.repeat(4096) })
  problem(t, res, 413, 'body-too-large', '/v1/articles')
  t.equal(count(h, 'articles'), 0)
})

t.test('an unknown route is a 404', async (t) => {
  const h = await build(t)
  const res = await h.app.inject({ method: 'GET', url: '/v1/nothing-here?x=1' })
  problem(t, res, 404, 'not-found', '/v1/nothing-here')
})

t.test('a method the route does not support is a 405 with Allow', async (t) => {
  const h = await build(t)
  const res = await h.app.inject({ method: 'PUT', url: '/v1/articles/x', headers: h.auth.write, payload: {} })
  problem(t, res, 405, 'method-not-allowed', '/v1/articles/x')
  const allow = String(res.headers.allow).split(/,\s*/).sort()
  t.same(allow, ['DELETE', 'GET', 'HEAD', 'PATCH'])
})

t.test('a slug that is taken is a 409 pointing at /slug', async (t) => {
  const h = await build(t)
  await createArticle(h, { slug: 'taken' })
  const body = problem(t, await postArticle(h, { headline: 'Two', body: 'Words.', slug: 'taken' }), 409, 'conflict', '/v1/articles')
  t.same(pointers(body), ['body:/slug'])
  t.equal(count(h, 'articles'), 1)
})

t.test('unknown tags and source are one 422 naming each of them', async (t) => {
  const h = await build(t)
  const tag = await createTag(h, { name: 'Known' })
  const res = await postArticle(h, { headline: 'Hi', body: 'Words.', tags: ['nope', tag.slug, 'nada'], source: 'ghost' })
  const body = problem(t, res, 422, 'unprocessable', '/v1/articles')
  t.same(pointers(body), ['body:/source', 'body:/tags/0', 'body:/tags/2'])
  for (const name of ['nope', 'nada', 'ghost']) t.ok(body.detail.includes(name), `detail names ${name}`)
  t.equal(count(h, 'articles'), 0)
})

t.test('a lone surrogate is a 400 and nothing is stored', async (t) => {
  const h = await build(t)
  const raw = '{"headline": "bad \\ud800 text", "body": "Words."}'
  t.ok(raw.includes('\\ud800'), 'sent as an escape sequence')
  const body = problem(t, await postArticle(h, raw), 400, 'validation', '/v1/articles')
  t.same(pointers(body), ['body:/headline'])
  t.equal(count(h, 'articles'), 0)
})

t.test('a NUL character is a 400 and nothing is stored', async (t) => {
  const h = await build(t)
  const body = problem(t, await postArticle(h, '{"headline": "a\\u0000b", "body": "Words."}'), 400, 'validation', '/v1/articles')
  t.same(pointers(body), ['body:/headline'])
  t.equal(count(h, 'articles'), 0)
})

t.test('a timestamp outside years 0000-9999 in UTC is a 400, not a stored row that breaks reads', async (t) => {
  const h = await build(t)
  for (const publishedAt of ['9999-12-31T23:59:59-05:00', '0000-01-01T00:00:00+01:00']) {
    const res = await postArticle(h, { headline: 'When', body: 'Words.', status: 'published', publishedAt })
    const body = problem(t, res, 400, 'validation', '/v1/articles')
    t.same(pointers(body), ['body:/publishedAt'], publishedAt)
  }
  t.equal(count(h, 'articles'), 0)
  const article = await createArticle(h)
  const patch = await h.app.inject({
    method: 'PATCH',
    url: `/v1/articles/${article.id}`,
    headers: { ...h.auth.write, 'content-type': 'application/merge-patch+json' },
    payload: JSON.stringify({ publishedAt: '9999-12-31T23:59:59-05:00' }),
  })
  problem(t, patch, 400, 'validation', `/v1/articles/${article.id}`)
  const edge = await postArticle(h, { headline: 'Edge', body: 'Words.', status: 'published', publishedAt: '9999-12-31T18:59:59-05:00' })
  t.equal(edge.json().publishedAt, '9999-12-31T23:59:59.000Z', 'the last representable second is fine')
  const list = await h.app.inject({ method: 'GET', url: '/v1/articles?status=published', headers: h.auth.write })
  t.equal(list.statusCode, 200)
})

t.test('PATCH accepts application/merge-patch+json', async (t) => {
  const h = await build(t)
  const article = await createArticle(h, { image: { url: 'https://example.com/a.jpg', caption: 'A caption' } })
  const res = await h.app.inject({
    method: 'PATCH',
    url: `/v1/articles/${article.id}`,
    headers: { ...h.auth.write, 'content-type': 'application/merge-patch+json' },
    payload: JSON.stringify({ headline: 'Patched', image: { caption: null } }),
  })
  t.equal(res.statusCode, 200, res.body)
  t.match(res.headers['content-type'], /^application\/json/)
  t.equal(res.json().headline, 'Patched')
  t.same(res.json().image, { url: 'https://example.com/a.jpg', caption: null, credit: null })
})

// The sweep: hostile input on every route is a client error or a success, never a crash.

const hostileBodies = [
  'null',
  '[]',
  '[{"headline": "x", "body": "y"}]',
  '"just a string"',
  '12345',
  'true',
  '{}',
  '{"__proto__": {"scope": "admin"}, "name": "x"}',
  '{"constructor": {"prototype": {"polluted": true}}, "name": "x"}',
  '{"headline": 1e400, "body": 1e400, "name": 1e400}',
  '{"headline": "x", "body": "y", "name": "x", "limit": 99999999999999999999999999}',
  '{"headline": {"a": 1}, "body": ["y"], "name": [], "kind": {}, "scope": []}',
  '{"headline": "x", "body": "y", "image": [], "tags": {"0": "a"}, "source": 5}',
  `{"headline": "x", "body": "y", "name": "x", "slug": "${'a'.repeat(100_000)}"}`,
  '{"headline": "x", "body": "y", "name": "x", "publishedAt": "+275760-09-13T00:00:00Z"}',
  '{"headline": "x", "body": "y", "status": "published", "publishedAt": "0000-01-01T00:00:00+23:59"}',
  '{"headline": "x", "body": "y", "name": "x", "status": "withdrawn", "language": "xx-aaaaaaaaa"}',
  '{"headline": "x", "body": "y", "tags": ["a", "a", "a"]}',
  '{"name": "x", "scope": "superuser"}',
  '{"headline": "x", "body": "y", "canonicalUrl": "javascript:alert(1)", "url": "javascript:alert(1)"}',
]

const hostileQueries = [
  'limit=abc', 'limit=1e400', 'limit=-1', 'limit=99999999999999999999', 'limit=1&limit=2',
  'cursor=%%%', 'cursor=eyJ9', 'cursor=bnVsbA', `cursor=${'A'.repeat(5000)}`, 'cursor[]=x',
  `cursor=${Buffer.from('{"k":[1e308,"x"],"d":"n","f":"x"}').toString('base64url')}`,
  `cursor=${Buffer.from('{"k":[{},[]],"d":"p"}').toString('base64url')}`,
  'status=nope', 'status=draft&status=published', '__proto__=x', '__proto__[scope]=admin', 'count=maybe',
]

const hostileSegments = ['%FF', '%C0%AF', '%E2%82', '%00', '%2e%2e%2f%2e%2e', 'a'.repeat(5000), '__proto__', 'constructor']

const hostileHeaders: Record<string, string>[] = [
  { 'if-none-match': '*' },
  { 'if-none-match': 'W/"v1", garbage, "' },
  { 'if-modified-since': 'not a date' },
  { 'if-match': 'W/"v1"' },
  { accept: 'application/xml' },
]

const hostileTypes = ['', 'application/json; charset=latin1', 'application/xml', 'multipart/form-data; boundary=x']

type Request = { method: 'GET' | 'HEAD' | 'POST' | 'PATCH' | 'DELETE'; url: string; payload?: string; headers?: object }

t.test('no hostile input makes any route answer 5xx', async (t) => {
  const h = await build(t)
  const known = {
    '/v1/articles': (await createArticle(h, { status: 'published' })).id as string,
    '/v1/tags': (await createTag(h)).id as string,
    '/v1/sources': (await createSource(h)).id as string,
  }
  const json = (type = 'application/json') => ({ 'content-type': type })
  const bodies = [...hostileBodies, '', `{"tags": ${'['.repeat(20_000)}${']'.repeat(20_000)}}`]
  const requests: Request[] = []
  const reads = [...Object.keys(known), ...Object.entries(known).map(([base, id]) => `${base}/${id}`), '/v1/keys', '/health', '/openapi.json']
  for (const url of reads) {
    for (const query of hostileQueries) requests.push({ method: 'GET', url: `${url}?${query}` })
    for (const headers of hostileHeaders) for (const method of ['GET', 'HEAD'] as const) requests.push({ method, url, headers })
  }
  for (const [base, id] of Object.entries(known)) {
    for (const segment of hostileSegments) {
      for (const method of ['GET', 'PATCH', 'DELETE'] as const) requests.push({ method, url: `${base}/${segment}`, payload: '{}', headers: json() })
    }
    for (const payload of bodies) {
      requests.push({ method: 'POST', url: base, payload, headers: json() })
      requests.push({ method: 'PATCH', url: `${base}/${id}`, payload, headers: json() })
      requests.push({ method: 'PATCH', url: `${base}/${id}`, payload, headers: json('application/merge-patch+json') })
    }
    for (const type of hostileTypes) requests.push({ method: 'POST', url: base, payload: '{"name": "x"}', headers: json(type) })
    for (const headers of hostileHeaders) requests.push({ method: 'DELETE', url: `${base}/${id}`, headers })
  }
  for (const payload of bodies) requests.push({ method: 'POST', url: '/v1/keys', payload, headers: json() })
  for (const segment of hostileSegments) requests.push({ method: 'DELETE', url: `/v1/keys/${segment}` })

  const failures: string[] = []
  for (const auth of [{}, h.auth.admin]) {
    for (const { method, url, payload, headers } of requests) {
      const res = await h.app.inject({ method, url, headers: { ...auth, ...headers }, ...(payload === undefined ? {} : { payload }) })
      const what = `${method} ${url.slice(0, 80)} ${JSON.stringify(headers ?? {})} ${payload?.slice(0, 80) ?? ''} (${'authorization' in auth ? 'admin' : 'anonymous'})`
      if (res.statusCode >= 500) failures.push(`${what} -> ${res.statusCode}`)
      else if (res.statusCode >= 400 && !/^application\/problem\+json/.test(String(res.headers['content-type']))) {
        failures.push(`${what} -> ${res.statusCode} as ${res.headers['content-type']}`)
      }
    }
  }
  t.ok(requests.length > 400, `${requests.length} requests per caller`)
  t.same(failures, [], 'every answer is < 500, and problem+json when >= 400')
  const list = await h.app.inject({ method: 'GET', url: '/v1/articles' })
  t.equal(list.statusCode, 200, 'reads still work afterwards')
  t.equal(Object.prototype.hasOwnProperty.call(Object.prototype, 'polluted'), false, 'no prototype pollution')
})

t.test('requestId repeats a well-formed X-Request-Id and replaces a hostile one', async (t) => {
  const h = await build(t)
  const kept = await h.app.inject({ method: 'GET', url: '/v1/nothing', headers: { 'x-request-id': 'proxy-123.abc' } })
  t.equal(problem(t, kept, 404, 'not-found', '/v1/nothing').requestId, 'proxy-123.abc')
  const hostile = '<script>' + 'x'.repeat(100)
  const replaced = await h.app.inject({ method: 'GET', url: '/v1/nothing', headers: { 'x-request-id': hostile } })
  t.not(problem(t, replaced, 404, 'not-found', '/v1/nothing').requestId, hostile)
})

t.test('a crash is a 500 problem that says nothing internal', async (t) => {
  const h = await build(t)
  h.db.$client.close()
  const res = await h.app.inject({ method: 'GET', url: '/v1/articles/anything' })
  const body = problem(t, res, 500, 'internal', '/v1/articles/anything')
  t.ok(body.detail.includes(body.requestId), 'the detail quotes the request id')
  t.notMatch(res.body, /sqlite|database|connection|TypeError|RangeError|at \w+ \(|\.[jt]s:\d+/i, 'no internals')
  t.same(Object.keys(body).sort(), ['detail', 'instance', 'requestId', 'status', 'title', 'type'])
})
