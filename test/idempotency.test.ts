import { request as httpRequest } from 'node:http'
import type { AddressInfo } from 'node:net'
import t from 'tap'
import { createTag } from './factories.js'
import { build, type Harness } from './helper.js'

type Headers = Record<string, string>
const DAY = 24 * 60 * 60 * 1000

const post = (h: Harness, url: string, payload: object, key?: string, auth: Headers = h.auth.write) =>
  h.app.inject({ method: 'POST', url, payload, headers: { ...auth, ...(key === undefined ? {} : { 'idempotency-key': key }) } })

const count = (h: Harness, table: string) =>
  (h.db.$client.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n

const ownerOf = (h: Harness, auth: Headers) => h.keys.authenticate(auth.authorization!.slice('Bearer '.length))!.id

const article = { headline: 'Rates held', body: 'The bank kept rates where they were.' }

t.test('the same key and request replays the first response without running the handler', async (t) => {
  const h = await build(t)
  const first = await post(h, '/v1/articles', article, 'create-rates-1')
  t.equal(first.statusCode, 201)
  t.notOk(first.headers['idempotent-replayed'], 'the first answer is not a replay')
  // A change in between proves the replay is the stored answer, not a fresh read.
  const patched = await h.app.inject({ method: 'PATCH', url: first.headers.location!, headers: h.auth.write, payload: { headline: 'Rates cut' } })
  t.equal(patched.statusCode, 200)

  h.clock.now += 60_000
  const again = await post(h, '/v1/articles', article, 'create-rates-1')
  t.equal(again.statusCode, 201)
  t.equal(again.headers['idempotent-replayed'], 'true')
  t.equal(again.body, first.body, 'the body, byte for byte')
  for (const name of ['location', 'etag', 'last-modified', 'content-type']) {
    t.equal(again.headers[name], first.headers[name], name)
  }
  t.equal(again.json().headline, 'Rates held')
  t.equal(count(h, 'articles'), 1, 'one article, not two')
})

t.test('the same key with a different request is a 422 and creates nothing', async (t) => {
  const h = await build(t)
  t.equal((await post(h, '/v1/articles', article, 'k-1')).statusCode, 201)
  for (const [url, payload] of [
    ['/v1/articles', { ...article, headline: 'Rates cut' }],
    ['/v1/tags', { name: 'Economy' }],
  ] as const) {
    const res = await post(h, url, payload, 'k-1')
    t.equal(res.statusCode, 422, url)
    t.equal(res.headers['content-type'], 'application/problem+json; charset=utf-8')
    t.notOk(res.headers['idempotent-replayed'])
    t.match(res.json(), {
      type: '/problems/idempotency-key-reused',
      status: 422,
      errors: [{ in: 'headers', pointer: '/idempotency-key' }],
    })
  }
  t.equal(count(h, 'articles'), 1)
  t.equal(count(h, 'tags'), 0)
})

t.test('a request while the first with that key is still running is a 409', async (t) => {
  const h = await build(t)
  const owner = ownerOf(h, h.auth.write)
  h.db.$client
    .prepare('INSERT INTO idempotency_keys (owner, key, fingerprint, state, created_at) VALUES (?, ?, ?, ?, ?)')
    .run(owner, 'busy', 'POST /v1/tags (the first request)', 'running', h.clock.now)
  const res = await post(h, '/v1/tags', { name: 'Economy' }, 'busy')
  t.equal(res.statusCode, 409)
  t.match(res.json(), { type: '/problems/idempotency-key-in-flight', status: 409 })
  t.equal(count(h, 'tags'), 0, 'the handler did not run')

  // Once the first one is gone (it failed), the key is free again.
  h.db.$client.prepare('DELETE FROM idempotency_keys').run()
  t.equal((await post(h, '/v1/tags', { name: 'Economy' }, 'busy')).statusCode, 201)
})

t.test('keys are scoped to the API key that sent them', async (t) => {
  const h = await build(t)
  const mine = await post(h, '/v1/tags', { name: 'Economy' }, 'shared-key', h.auth.write)
  const theirs = await post(h, '/v1/tags', { name: 'Economy', slug: 'economy-2' }, 'shared-key', h.auth.admin)
  t.equal(mine.statusCode, 201)
  t.equal(theirs.statusCode, 201, 'not a 422: another client\'s key')
  t.notOk(theirs.headers['idempotent-replayed'])
  t.not(theirs.json().id, mine.json().id)
  t.equal(count(h, 'tags'), 2)
})

t.test('a key is replayed for 24 hours, then it is fresh again', async (t) => {
  const h = await build(t)
  t.equal((await post(h, '/v1/articles', article, 'daily')).statusCode, 201)
  h.clock.now += DAY
  const replay = await post(h, '/v1/articles', article, 'daily')
  t.equal(replay.headers['idempotent-replayed'], 'true', 'still replayed at exactly 24 hours')
  h.clock.now += 1
  const fresh = await post(h, '/v1/articles', { ...article, headline: 'Next day' }, 'daily')
  t.equal(fresh.statusCode, 201, 'an expired key does not refuse a different body')
  t.notOk(fresh.headers['idempotent-replayed'])
  t.equal(count(h, 'articles'), 2)
  t.equal(count(h, 'idempotency_keys'), 1, 'the expired record was replaced')
  t.equal((await post(h, '/v1/articles', { ...article, headline: 'Next day' }, 'daily')).headers['idempotent-replayed'], 'true')
})

t.test('a 4xx answer is stored and replayed as it was', async (t) => {
  const h = await build(t)
  const payload = { ...article, tags: ['markets'] }
  const first = await post(h, '/v1/articles', payload, 'unknown-tag')
  t.equal(first.statusCode, 422)
  t.match(first.json(), { type: '/problems/unprocessable' })
  await createTag(h, { name: 'Markets', slug: 'markets' })

  const again = await post(h, '/v1/articles', payload, 'unknown-tag')
  t.equal(again.statusCode, 422, 'the stored answer, although the tag exists now')
  t.equal(again.headers['idempotent-replayed'], 'true')
  t.equal(again.headers['content-type'], 'application/problem+json; charset=utf-8')
  t.equal(again.body, first.body)
  t.equal(count(h, 'articles'), 0)
  t.equal((await post(h, '/v1/articles', payload, 'another-key')).statusCode, 201)
})

t.test('an invalid Idempotency-Key is a 400 naming the header', async (t) => {
  const h = await build(t)
  for (const key of ['', 'x'.repeat(256), 'clé', 'tab\there']) {
    const res = await post(h, '/v1/tags', { name: 'Economy' }, key)
    t.equal(res.statusCode, 400, JSON.stringify(key))
    t.match(res.json(), { type: '/problems/validation', errors: [{ in: 'headers', pointer: '/idempotency-key' }] })
  }
  t.equal(count(h, 'tags'), 0)
  t.equal((await post(h, '/v1/tags', { name: 'Economy' }, 'x'.repeat(255))).statusCode, 201, '255 characters are fine')
  const anonymous = await post(h, '/v1/tags', { name: 'Other' }, '', {})
  t.equal(anonymous.statusCode, 401, 'no key: the 401 comes first')
})

t.test('tags and sources are idempotent too', async (t) => {
  const h = await build(t)
  for (const [url, table, payload] of [
    ['/v1/tags', 'tags', { name: 'Economy', kind: 'subject' }],
    ['/v1/sources', 'sources', { name: 'Reuters', url: 'https://www.reuters.com' }],
  ] as const) {
    const first = await post(h, url, payload, `create ${table}`)
    const again = await post(h, url, payload, `create ${table}`)
    t.equal(first.statusCode, 201, url)
    t.equal(again.statusCode, 201)
    t.equal(again.headers['idempotent-replayed'], 'true')
    t.equal(again.headers.location, first.headers.location)
    t.equal(again.body, first.body)
    t.equal(count(h, table), 1, `one row in ${table}`)
  }
})

t.test('GET and PATCH ignore the header', async (t) => {
  const h = await build(t)
  const tag = await createTag(h, { name: 'Economy' })
  for (const headline of ['Markets', 'Money']) {
    const res = await h.app.inject({
      method: 'PATCH',
      url: `/v1/tags/${tag.id}`,
      headers: { ...h.auth.write, 'idempotency-key': 'patch-key' },
      payload: { name: headline },
    })
    t.equal(res.statusCode, 200)
    t.equal(res.json().name, headline, 'each PATCH is applied')
    t.notOk(res.headers['idempotent-replayed'])
  }
  const get = await h.app.inject({ url: `/v1/tags/${tag.id}`, headers: { 'idempotency-key': '' } })
  t.equal(get.statusCode, 200, 'not even validated on a GET')
  t.notOk(get.headers['idempotent-replayed'])
  t.equal(count(h, 'idempotency_keys'), 0)
})

t.test('a 5xx answer is not stored, so the client may retry', async (t) => {
  const h = await build(t)
  let calls = 0
  h.app.post('/v1/flaky', async (_request, reply) => {
    if (++calls === 1) throw new Error('the database went away')
    return reply.code(201).send({ calls })
  })
  const failed = await post(h, '/v1/flaky', {}, 'retry-me')
  t.equal(failed.statusCode, 500)
  t.equal(count(h, 'idempotency_keys'), 0, 'the record was removed')
  const retried = await post(h, '/v1/flaky', {}, 'retry-me')
  t.equal(retried.statusCode, 201)
  t.notOk(retried.headers['idempotent-replayed'])
  t.same(retried.json(), { calls: 2 })
  t.same((await post(h, '/v1/flaky', {}, 'retry-me')).json(), { calls: 2 }, 'now replayed')
  t.equal(calls, 2)
})

t.test('a request the client abandons leaves no running record behind', async (t) => {
  const h = await build(t)
  let entered!: () => void
  const handlerEntered = new Promise<void>((resolve) => (entered = resolve))
  let release!: () => void
  const gate = new Promise<void>((resolve) => (release = resolve))
  h.app.post('/v1/slow', async () => {
    entered()
    await gate
    return { done: true }
  })
  await h.app.listen({ port: 0, host: '127.0.0.1' })
  const { port } = h.app.server.address() as AddressInfo
  const body = JSON.stringify({ n: 1 })
  const req = httpRequest({
    port,
    host: '127.0.0.1',
    method: 'POST',
    path: '/v1/slow',
    headers: { ...h.auth.write, 'idempotency-key': 'gone', 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
  })
  req.on('error', () => {})
  req.end(body)
  await handlerEntered
  t.equal(count(h, 'idempotency_keys'), 1, 'running while the handler works')
  req.destroy()
  for (let i = 0; i < 200 && count(h, 'idempotency_keys') > 0; i++) await new Promise((r) => setTimeout(r, 10))
  t.equal(count(h, 'idempotency_keys'), 0, 'removed when the client went away')
  release()
  await new Promise((r) => setImmediate(r))
  t.equal(count(h, 'idempotency_keys'), 0, 'the late answer nobody received is not stored')
  const retry = await post(h, '/v1/slow', { n: 1 }, 'gone')
  t.equal(retry.statusCode, 200, 'the client may retry')
  t.notOk(retry.headers['idempotent-replayed'])
})
