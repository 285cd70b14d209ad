import { createHmac } from 'node:crypto'
import { Webhook as StandardWebhook } from 'standardwebhooks'
import t from 'tap'
import { createArticle, createPublished, createSources, createTags } from './factories.js'
import { build } from './helper.js'
import { ALL_EVENTS, deliveries, receiver, register, webhookHarness, type WebhookHarness } from './webhook-receiver.js'

const HOUR = 60 * 60 * 1000

async function call(h: WebhookHarness, method: 'POST' | 'PATCH' | 'DELETE', url: string, payload?: object) {
  const res = await h.app.inject({ method, url, headers: h.auth.write, ...(payload ? { payload } : {}) })
  if (res.statusCode >= 300) throw new Error(`${method} ${url} answered ${res.statusCode}: ${res.body}`)
  return res
}

t.test('registering: admin only, the secret once, never again', async (t) => {
  const h = await webhookHarness(t)
  const body = { url: 'https://partner.example/hooks', events: ['article.published'] }
  for (const [headers, status] of [[{}, 401], [h.auth.write, 403]] as const) {
    const res = await h.app.inject({ method: 'POST', url: '/v1/webhooks', headers, payload: body })
    t.equal(res.statusCode, status)
    t.match(res.headers['content-type'], /^application\/problem\+json/)
  }
  t.equal((await h.app.inject({ url: '/v1/webhooks', headers: h.auth.write })).statusCode, 403)

  const res = await h.app.inject({ method: 'POST', url: '/v1/webhooks', headers: h.auth.admin, payload: body })
  t.equal(res.statusCode, 201)
  const created = res.json()
  t.equal(res.headers.location, `/v1/webhooks/${created.id}`)
  t.equal(res.headers['cache-control'], 'no-store')
  t.match(created, { url: body.url, events: body.events, tag: null, source: null, disabled: false, version: 1 })
  t.match(created.secret, /^whsec_[A-Za-z0-9+/]{43}=$/)
  t.equal(Buffer.from(created.secret.slice(6), 'base64').length, 32)

  const got = await h.app.inject({ url: `/v1/webhooks/${created.id}`, headers: h.auth.admin })
  t.equal(got.statusCode, 200)
  t.equal(got.headers.etag, '"v1"')
  t.notOk('secret' in got.json())
  const list = (await h.app.inject({ url: '/v1/webhooks', headers: h.auth.admin })).json()
  t.same(list.data.map((w: { id: string }) => w.id), [created.id])
  t.notOk(JSON.stringify(list).includes(created.secret))
})

t.test('a delivery is signed per Standard Webhooks and carries the change-feed event', async (t) => {
  const r = await receiver(t)
  const h = await webhookHarness(t)
  const hook = await register(h, { url: r.url, events: ALL_EVENTS })
  const article = await createPublished(h)
  t.equal(await h.dispatcher.tick(), 1)
  t.equal(r.received.length, 1)
  const [got] = r.received
  const { 'webhook-id': id, 'webhook-timestamp': timestamp, 'webhook-signature': signature } = got!.headers
  t.match(id, /^msg_/)
  t.equal(timestamp, String(Math.floor(h.clock() / 1000)))
  t.equal(got!.headers['content-type'], 'application/json')
  const key = Buffer.from(hook.secret.slice('whsec_'.length), 'base64')
  const expected = createHmac('sha256', key).update(`${id}.${timestamp}.${got!.body}`).digest('base64')
  t.equal(signature, `v1,${expected}`)
  // And an independent implementation agrees (it also checks the timestamp against real time).
  t.same(new StandardWebhook(hook.secret).verify(got!.body, got!.headers as Record<string, string>), got!.json)

  const feed = (await h.app.inject({ url: '/v1/changes' })).json().data
  t.equal(feed.length, 1)
  t.same(got!.json, {
    type: 'article.published',
    timestamp: feed[0].at,
    data: { seq: feed[0].seq, articleId: article.id, version: article.version, article: feed[0].article },
  })
  const [delivery] = await deliveries(h, hook.id)
  t.match(delivery, { id, seq: feed[0].seq, type: 'article.published', status: 'delivered', lastStatusCode: 204, lastError: null })
  t.equal(delivery.attempts.length, 1)
  t.match(delivery.attempts[0], { statusCode: 204, error: null })
  t.same(delivery.payload, got!.json)
  t.equal(await h.dispatcher.tick(), 0, 'nothing is sent twice')
})

t.test('published on entering the list, updated while in it, removed on leaving', async (t) => {
  const r = await receiver(t)
  const h = await webhookHarness(t)
  await register(h, { url: r.url, events: ALL_EVENTS })
  const types = async () => {
    await h.dispatcher.tick()
    return r.received.splice(0).map((d) => [d.json.type, d.json.data.reason ?? d.json.data.article?.headline])
  }
  const { id } = await createArticle(h, { headline: 'Draft' })
  t.same(await types(), [], 'a draft is nobody’s business')
  await call(h, 'POST', `/v1/articles/${id}/publish`)
  t.same(await types(), [['article.published', 'Draft']])
  await call(h, 'PATCH', `/v1/articles/${id}`, { headline: 'Edited' })
  t.same(await types(), [['article.updated', 'Edited']])
  await call(h, 'POST', `/v1/articles/${id}/unpublish`)
  t.same(await types(), [['article.removed', 'unpublished']])
  await call(h, 'POST', `/v1/articles/${id}/publish`)
  t.same(await types(), [['article.published', 'Edited']])
  await call(h, 'DELETE', `/v1/articles/${id}`)
  t.same(await types(), [['article.removed', 'deleted']])
})

t.test('a scheduled article is announced when the clock reaches its time', async (t) => {
  const r = await receiver(t)
  const h = await webhookHarness(t)
  await register(h, { url: r.url, events: ['article.published'] })
  const at = new Date(h.clock() + HOUR).toISOString()
  const article = await createArticle(h, { status: 'published', publishedAt: at })
  await h.dispatcher.tick()
  t.equal(r.received.length, 0, 'not before its time')
  h.clock.now += HOUR - 1
  await h.dispatcher.tick()
  t.equal(r.received.length, 0)
  h.clock.now += 1
  await h.dispatcher.tick()
  t.equal(r.received.length, 1)
  t.match(r.received[0]!.json, { type: 'article.published', timestamp: at, data: { articleId: article.id } })
})

t.test('events and tag/source filters pick what each webhook gets', async (t) => {
  const r = await receiver(t)
  const h = await webhookHarness(t)
  await createTags(h, 'politics', 'sport')
  await createSources(h, 'wire')
  const path = (name: string) => `${r.url}/${name}`
  await register(h, { url: path('all'), events: ALL_EVENTS })
  await register(h, { url: path('removals'), events: ['article.removed'] })
  await register(h, { url: path('politics'), events: ALL_EVENTS, tag: 'politics' })
  await register(h, { url: path('wire'), events: ['article.published'], source: 'wire' })
  const a = await createPublished(h, { tags: ['politics'] })
  const b = await createPublished(h, { tags: ['sport'], source: 'wire' })
  await h.dispatcher.tick()
  const seen = (name: string) =>
    r.received
      .filter((d) => d.path === `/hook/${name}`)
      .map((d) => `${d.json.type} ${d.json.data.articleId === a.id ? 'a' : 'b'}`)
      .sort()
  t.same(seen('all'), ['article.published a', 'article.published b'])
  t.same(seen('wire'), ['article.published b'])
  r.received.length = 0
  await call(h, 'POST', `/v1/articles/${a.id}/unpublish`)
  await call(h, 'DELETE', `/v1/articles/${b.id}`)
  await h.dispatcher.tick()
  t.same(seen('all'), ['article.removed a', 'article.removed b'])
  t.same(seen('removals'), ['article.removed a', 'article.removed b'])
  t.same(seen('politics'), ['article.removed a'], 'removals are filtered by the article row')
  t.same(seen('wire'), [])

  const c = await createPublished(h, { tags: ['sport'], source: 'wire' })
  await createPublished(h, { tags: ['politics'] })
  r.received.length = 0
  await h.dispatcher.tick()
  t.same(seen('wire'), ['article.published b'])
  t.equal(r.received.find((d) => d.path === '/hook/wire')!.json.data.articleId, c.id)
  t.same(seen('politics'), ['article.published b'], 'the politics article only')
  t.same(seen('removals'), [])
})

t.test('targets: refused at registration unless allowed; shape and rules checked', async (t) => {
  const h = await build(t)
  const post = (payload: object) => h.app.inject({ method: 'POST', url: '/v1/webhooks', headers: h.auth.admin, payload })
  const refused = [
    'http://10.0.0.1/x',
    'http://127.0.0.1:8080/x',
    'http://169.254.169.254/latest/meta-data',
    'http://[::1]/x',
    'http://[fd00::1]/x',
    'http://[::ffff:127.0.0.1]/x',
    'http://[fe80::1]/x',
    'http://100.64.0.1/x',
    'http://0.0.0.0/x',
    'http://224.0.0.1/x',
    'http://2130706433/x',
    'http://localhost:3000/x',
    'http://api.localhost/x',
  ]
  for (const url of refused) {
    const res = await post({ url, events: ['article.published'] })
    t.equal(res.statusCode, 422, url)
    t.match(res.json().errors, [{ in: 'body', pointer: '/url' }], url)
  }
  t.equal((await post({ url: 'ftp://partner.example/x', events: ['article.published'] })).statusCode, 400)
  t.match((await post({ url: 'https://partner.example/x', events: ['article.created'] })).json().errors, [{ pointer: '/events/0' }])
  t.equal((await post({ url: 'https://partner.example/x', events: [] })).statusCode, 400)
  t.equal((await post({ url: 'https://partner.example/x', events: ['article.updated'], secret: 'mine' })).statusCode, 400)
  const unknown = await post({ url: 'https://partner.example/x', events: ['article.updated'], tag: 'nope', source: 'none' })
  t.equal(unknown.statusCode, 422)
  t.match(unknown.json().errors, [{ pointer: '/tag' }, { pointer: '/source' }])
  t.equal((await post({ url: 'https://93.184.215.14/x', events: ['article.updated'] })).statusCode, 201, 'public literal')
})

t.test('update (merge patch, If-Match), disable, delete', async (t) => {
  const r = await receiver(t)
  const h = await webhookHarness(t)
  await createTags(h, 'sport')
  const hook = await register(h, { url: 'https://partner.example/a', events: ['article.published'], tag: 'sport' })
  const patch = (payload: object, headers: object = {}) =>
    h.app.inject({ method: 'PATCH', url: `/v1/webhooks/${hook.id}`, headers: { ...h.auth.admin, 'content-type': 'application/merge-patch+json', ...headers }, payload })
  const res = await patch({ url: r.url, events: ALL_EVENTS, tag: null }, { 'if-match': '"v1"' })
  t.equal(res.statusCode, 200)
  t.match(res.json(), { url: r.url, events: ALL_EVENTS, tag: null, version: 2 })
  t.equal((await patch({ disabled: true }, { 'if-match': '"v1"' })).statusCode, 412)
  t.equal((await patch({ url: 'http://10.1.2.3/' })).statusCode, 422)
  t.equal((await patch({ url: r.url }, h.auth.write)).statusCode, 403)

  t.match((await patch({ disabled: true })).json(), { disabled: true, version: 3 })
  await createPublished(h)
  await h.dispatcher.tick()
  t.equal(r.received.length, 0, 'a disabled webhook gets nothing')
  t.match((await patch({ disabled: false })).json(), { disabled: false, disabledAt: null })
  await h.dispatcher.tick()
  t.equal(r.received.length, 0, 'nor what happened while it was off')
  await createPublished(h)
  await h.dispatcher.tick()
  t.equal(r.received.length, 1)

  const del = (headers: object = {}) => h.app.inject({ method: 'DELETE', url: `/v1/webhooks/${hook.id}`, headers: { ...h.auth.admin, ...headers } })
  t.equal((await del({ 'if-match': '"v1"' })).statusCode, 412)
  t.equal((await del()).statusCode, 204)
  t.equal((await h.app.inject({ url: `/v1/webhooks/${hook.id}`, headers: h.auth.admin })).statusCode, 404)
  t.equal((await h.app.inject({ url: `/v1/webhooks/${hook.id}/deliveries`, headers: h.auth.admin })).statusCode, 404)
  await createPublished(h)
  await h.dispatcher.tick()
  t.equal(r.received.length, 1, 'nothing more after delete')
})
