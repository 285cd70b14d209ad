import { join } from 'node:path'
import t from 'tap'
import { buildApp } from '../src/app.js'
import { loadConfig } from '../src/config.js'
import { openDatabase } from '../src/db/client.js'
import { articleEvents } from '../src/db/schema.js'
import { createKeysService } from '../src/modules/keys/keys.service.js'
import { retryDelay } from '../src/modules/webhooks/backoff.js'
import { createDeliveriesRepository } from '../src/modules/webhooks/deliveries.repository.js'
import { createDispatcher } from '../src/modules/webhooks/dispatcher.js'
import { createOutbox } from '../src/modules/webhooks/outbox.js'
import { createPublished } from './factories.js'
import { testClock, type Harness } from './helper.js'
import { ALL_EVENTS, deliveries, receiver, register, webhookHarness } from './webhook-receiver.js'

const SECOND = 1000
const HOUR = 3600 * SECOND
const answer = (status: number) => (_req: unknown, res: import('node:http').ServerResponse) => res.writeHead(status).end()

t.test('a failing receiver is retried with exponential backoff; every attempt is listed', async (t) => {
  const r = await receiver(t, answer(500))
  const h = await webhookHarness(t, {}, { random: () => 0.5 })
  const hook = await register(h, { url: r.url, events: ALL_EVENTS })
  await createPublished(h)
  await h.dispatcher.tick()
  let [d] = await deliveries(h, hook.id)
  t.match(d, { status: 'pending', lastStatusCode: 500, lastError: 'the receiver answered 500' })
  t.equal(d.nextAttemptAt, new Date(h.clock() + 15 * SECOND).toISOString(), 'half of 30 s (jitter 0.5)')
  t.equal(await h.dispatcher.tick(), 0, 'not before its time')
  h.clock.now += 15 * SECOND
  await h.dispatcher.tick()
  ;[d] = await deliveries(h, hook.id)
  t.equal(d.nextAttemptAt, new Date(h.clock() + 30 * SECOND).toISOString(), 'the ceiling doubled')
  r.answer(answer(200))
  h.clock.now += 30 * SECOND
  await h.dispatcher.tick()
  ;[d] = await deliveries(h, hook.id)
  t.match(d, { status: 'delivered', nextAttemptAt: null, lastStatusCode: 200, lastError: null })
  t.same(d.attempts.map((a: { statusCode: number; error: string | null }) => [a.statusCode, a.error]), [
    [500, 'the receiver answered 500'],
    [500, 'the receiver answered 500'],
    [200, null],
  ])
  t.equal(new Set(r.received.map((x) => x.headers['webhook-id'])).size, 1, 'the same webhook-id on every attempt')
  t.equal(new Set(r.received.map((x) => x.body)).size, 1, 'and the same body')
})

t.test('full jitter stays within the doubling ceiling, capped at an hour', async (t) => {
  for (let attempts = 1; attempts <= 12; attempts++) {
    const ceiling = Math.min(HOUR, 30 * SECOND * 2 ** (attempts - 1))
    const delays = Array.from({ length: 200 }, () => retryDelay(attempts))
    t.ok(delays.every((delay) => delay >= SECOND && delay <= ceiling), `attempt ${attempts}: within [1 s, ${ceiling} ms]`)
    t.ok(new Set(delays).size > 100, `attempt ${attempts}: jittered`)
    t.equal(retryDelay(attempts, () => 0.999999), Math.floor(0.999999 * ceiling))
  }
})

t.test('gives up after WEBHOOK_MAX_ATTEMPTS; redeliver queues it again', async (t) => {
  const r = await receiver(t, answer(503))
  const h = await webhookHarness(t, { webhookMaxAttempts: 2 })
  const hook = await register(h, { url: r.url, events: ALL_EVENTS })
  await createPublished(h)
  await h.dispatcher.tick()
  h.clock.now += HOUR
  await h.dispatcher.tick()
  let [d] = await deliveries(h, hook.id)
  t.match(d, { status: 'failed', nextAttemptAt: null, lastStatusCode: 503 })
  h.clock.now += HOUR
  t.equal(await h.dispatcher.tick(), 0, 'a failed delivery is not retried')

  const url = `/v1/webhooks/${hook.id}/deliveries/${d.id}/redeliver`
  t.equal((await h.app.inject({ method: 'POST', url, headers: h.auth.write })).statusCode, 403)
  const missing = `/v1/webhooks/${hook.id}/deliveries/msg_nope/redeliver`
  t.equal((await h.app.inject({ method: 'POST', url: missing, headers: h.auth.admin })).statusCode, 404)
  const res = await h.app.inject({ method: 'POST', url, headers: h.auth.admin })
  t.equal(res.statusCode, 202)
  t.match(res.json(), { id: d.id, status: 'pending', nextAttemptAt: new Date(h.clock()).toISOString() })
  r.answer(answer(204))
  t.equal(await h.dispatcher.tick(), 1)
  ;[d] = await deliveries(h, hook.id)
  t.match(d, { status: 'delivered', lastStatusCode: 204 })
  t.same(d.attempts.map((a: { statusCode: number }) => a.statusCode), [503, 503, 204])
  t.equal(r.received.length, 3)
})

t.test('a delivery survives a restart', async (t) => {
  const r = await receiver(t, answer(500))
  const path = join(t.testdir(), 'newsdesk.db')
  const clock = testClock()
  const config = { ...loadConfig({}), databasePath: path, webhookAllowHosts: ['127.0.0.1'], webhookDispatchIntervalMs: 0 }
  const start = async () => {
    const db = openDatabase(path)
    const app = await buildApp({ config, db, clock, logger: false })
    return { db, app, dispatcher: createDispatcher({ db, clock, config }) }
  }
  let life = await start()
  const keys = createKeysService(life.db, clock)
  const auth = { admin: { authorization: `Bearer ${keys.create('a', 'admin').key}` }, write: { authorization: `Bearer ${keys.create('w', 'write').key}` } }
  const h = { app: life.app, auth } as unknown as Harness
  const hook = await register(h, { url: r.url, events: ALL_EVENTS })
  await createPublished(h)
  await life.dispatcher.tick()
  t.equal(r.received.length, 1)
  await life.dispatcher.stop()
  await life.app.close()
  life.db.$client.close()

  r.answer(answer(204))
  life = await start()
  t.teardown(async () => {
    await life.dispatcher.stop()
    await life.app.close()
    life.db.$client.close()
  })
  clock.now += HOUR
  t.equal(await life.dispatcher.tick(), 1)
  const [d] = await deliveries({ app: life.app, auth } as unknown as Harness, hook.id)
  t.match(d, { status: 'delivered' })
  t.same(d.attempts.map((a: { statusCode: number }) => a.statusCode), [500, 204])
  t.equal(r.received[0]!.headers['webhook-id'], r.received[1]!.headers['webhook-id'])
})

t.test('several dispatchers on one database never send a delivery twice', async (t) => {
  const r = await receiver(t, (_req, res) => setTimeout(() => res.writeHead(204).end(), 20))
  const h = await webhookHarness(t)
  const others = [1, 2].map(() => createDispatcher({ db: h.db, clock: h.clock, config: h.config }))
  t.teardown(() => Promise.all(others.map((d) => d.stop())))
  await register(h, { url: r.url, events: ALL_EVENTS })
  for (let i = 0; i < 6; i++) await createPublished(h)
  const sent = await Promise.all([h.dispatcher.tick(), ...others.map((d) => d.tick())])
  t.ok(sent.filter((n) => n > 0).length >= 2, `the work was shared: ${sent}`)
  await Promise.all([h.dispatcher.tick(), ...others.map((d) => d.tick())])
  t.equal(r.received.length, 6)
  t.equal(new Set(r.received.map((x) => x.headers['webhook-id'])).size, 6)

  // A lease held by a dispatcher that died mid-send is honoured until it runs out.
  await createPublished(h)
  createOutbox({ db: h.db, clock: h.clock, config: h.config }).enqueue()
  const lease = { now: h.clock(), leaseUntil: h.clock() + 60 * SECOND, token: 'dead', limit: 10, perWebhook: 10, skip: [] }
  t.equal(createDeliveriesRepository(h.db).claim(lease).length, 1)
  t.equal(await h.dispatcher.tick(), 0, 'leased')
  h.clock.now += 60 * SECOND + 1
  t.equal(await h.dispatcher.tick(), 1, 'the lease ran out')
  t.equal(r.received.length, 7)
})

t.test('an event committed late (older time, newer seq) is still delivered, once', async (t) => {
  const r = await receiver(t)
  const h = await webhookHarness(t)
  await register(h, { url: r.url, events: ALL_EVENTS })
  const a = await createPublished(h)
  await h.dispatcher.tick()
  h.clock.now += 10 * SECOND
  await createPublished(h)
  await h.dispatcher.tick()
  t.equal(r.received.length, 2)
  // Another process read its clock 5 s ago, then waited for the write lock.
  h.db.insert(articleEvents).values({ articleId: a.id, type: 'upsert', version: a.version, entersList: false, effectiveAt: h.clock() - 5 * SECOND, createdAt: h.clock() - 5 * SECOND }).run()
  await h.dispatcher.tick()
  await h.dispatcher.tick()
  t.equal(r.received.length, 3)
  t.match(r.received[2]!.json, { type: 'article.updated', data: { articleId: a.id } })
})

t.test('a webhook deleted while its delivery is in flight: the outcome is dropped quietly', async (t) => {
  const held: import('node:http').ServerResponse[] = []
  const r = await receiver(t, (_req, res) => void held.push(res))
  const errors: unknown[] = []
  const log = { error: (...args: unknown[]) => errors.push(args), info: () => {} } as never
  const h = await webhookHarness(t, {}, { log })
  const hook = await register(h, { url: r.url, events: ALL_EVENTS })
  await createPublished(h)
  const sending = h.dispatcher.tick()
  await r.until(1)
  t.equal((await h.app.inject({ method: 'DELETE', url: `/v1/webhooks/${hook.id}`, headers: h.auth.admin })).statusCode, 204)
  held[0]!.writeHead(204).end()
  t.equal(await sending, 1)
  t.same(errors, [])
  t.equal((h.db.$client.prepare('select count(*) as n from webhook_attempts').get() as { n: number }).n, 0)
})
