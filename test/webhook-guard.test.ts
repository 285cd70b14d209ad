import type { LookupAddress } from 'node:dns'
import t from 'tap'
import { createDispatcher } from '../src/modules/webhooks/dispatcher.js'
import { createTargetGuard, refusedRange } from '../src/modules/webhooks/target-guard.js'
import { createPublished } from './factories.js'
import { ALL_EVENTS, deliveries, receiver, register, webhookHarness, type WebhookHarness } from './webhook-receiver.js'

/** A resolver from a table: no DNS traffic, and names the test controls. */
const fakeDns = (table: Record<string, string[]>) =>
  ((hostname: string, _options: unknown, callback: (err: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => void) => {
    const addresses = table[hostname]
    if (!addresses) return callback(Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' }), [])
    callback(null, addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 })))
  }) as never

t.test('address ranges: everything but public unicast is refused', async (t) => {
  const refused: Record<string, string> = {
    '10.0.0.1': 'private',
    '172.31.255.255': 'private',
    '192.168.1.1': 'private',
    '127.0.0.1': 'loopback',
    '127.8.9.10': 'loopback',
    '169.254.169.254': 'link-local',
    '100.64.0.1': 'shared (CGNAT)',
    '0.0.0.0': 'unspecified',
    '224.0.0.251': 'multicast',
    '255.255.255.255': 'reserved',
    '::': 'unspecified',
    '::1': 'loopback',
    '[::1]': 'loopback',
    'fd00::1': 'unique-local',
    'fc00::abcd': 'unique-local',
    'fe80::1': 'link-local',
    'ff02::1': 'multicast',
    '::ffff:127.0.0.1': 'loopback',
    '::ffff:7f00:1': 'loopback',
    '::ffff:10.0.0.1': 'private',
    '::ffff:169.254.169.254': 'link-local',
    '64:ff9b::a00:1': 'NAT64',
    '2002:7f00:1::': '6to4',
  }
  for (const [address, label] of Object.entries(refused)) t.equal(refusedRange(address), label, address)
  for (const address of ['93.184.215.14', '8.8.8.8', '172.32.0.1', '2606:4700::1111', '::ffff:8.8.8.8', 'partner.example']) {
    t.equal(refusedRange(address), null, address)
  }
})

t.test('registration check: scheme, literal addresses, localhost names, the allow list', async (t) => {
  const strict = createTargetGuard({ allowHosts: [] })
  t.match(strict.checkUrl('ftp://partner.example/'), /http or https/)
  t.match(strict.checkUrl('http://[::ffff:127.0.0.1]/'), /loopback/)
  t.match(strict.checkUrl('http://0x7f.1/'), /127\.0\.0\.1 is a loopback address/, 'URL parsing normalises the address first')
  t.match(strict.checkUrl('http://LOCALHOST./'), /loopback name/)
  t.equal(strict.checkUrl('https://partner.example/hook'), null, 'names are checked when sending')
  const local = createTargetGuard({ allowHosts: ['127.0.0.1', 'localhost', '::1'] })
  t.equal(local.checkUrl('http://127.0.0.1:8080/'), null)
  t.equal(local.checkUrl('http://localhost:8080/'), null)
  t.equal(local.checkUrl('http://[0:0:0:0:0:0:0:1]/'), null, 'addresses compare as addresses')
  t.match(local.checkUrl('http://10.0.0.1/'), /private/)
})

t.test('send time: names are resolved and every address must pass', async (t) => {
  const r = await receiver(t)
  const h = await webhookHarness(t, { webhookAllowHosts: ['127.0.0.1', 'localhost'] })
  const dns = fakeDns({
    'internal.example': ['10.0.0.5'],
    'mixed.example': ['93.184.215.14', '169.254.169.254'],
    'receiver.example': ['127.0.0.1'],
  })
  // The dispatcher trusts only 127.0.0.1 as an address, not the localhost name the app let through.
  const strict = createDispatcher({ db: h.db, clock: h.clock, config: { ...h.config, webhookAllowHosts: ['127.0.0.1'] } }, { resolve: dns })
  const none = createDispatcher({ db: h.db, clock: h.clock, config: { ...h.config, webhookAllowHosts: [] } }, { resolve: dns })
  t.teardown(() => Promise.all([strict.stop(), none.stop()]))
  const at = (host: string) => r.url.replace('127.0.0.1', host)
  const hooks = {
    internal: await register(h, { url: at('internal.example'), events: ALL_EVENTS }),
    mixed: await register(h, { url: at('mixed.example'), events: ALL_EVENTS }),
    receiver: await register(h, { url: at('receiver.example'), events: ALL_EVENTS }),
    localhost: await register(h, { url: at('localhost'), events: ALL_EVENTS }),
  }
  await createPublished(h)
  await strict.tick()
  const lastError = async (id: string) => (await deliveries(h, id))[0].lastError
  t.match(await lastError(hooks.internal.id), /^refused: internal\.example resolves to 10\.0\.0\.5 is a private address/)
  t.match(await lastError(hooks.mixed.id), /169\.254\.169\.254 is a link-local address/)
  t.match(await lastError(hooks.localhost.id), /localhost is a loopback name/)
  t.equal(await lastError(hooks.receiver.id), null, 'an allowed address: connected to the address checked')
  t.equal(r.received.length, 1)
  t.equal(r.received[0]!.headers.host, `receiver.example:${r.port}`)

  // A literal address the app allowed, sent by a dispatcher that does not: refused, never connected.
  const direct = await register(h, { url: r.url, events: ALL_EVENTS })
  await createPublished(h)
  await none.tick()
  t.match(await lastError(direct.id), /^refused: .*127\.0\.0\.1 is a loopback address/)
  t.equal(r.received.length, 1)
})

t.test('redirects are not followed: a 3xx is a failed attempt naming the Location', async (t) => {
  const r = await receiver(t)
  const h = await webhookHarness(t)
  const targets = ['http://169.254.169.254/latest/meta-data/', `http://127.0.0.1:${r.port}/elsewhere`]
  r.answer((req, res) => res.writeHead(req.url === '/hook/0' ? 302 : 307, { location: targets[req.url === '/hook/0' ? 0 : 1] }).end())
  const hooks = [await register(h, { url: `${r.url}/0`, events: ALL_EVENTS }), await register(h, { url: `${r.url}/1`, events: ALL_EVENTS })]
  await createPublished(h)
  await h.dispatcher.tick()
  for (const [i, hook] of hooks.entries()) {
    const [d] = await deliveries(h, hook.id)
    t.match(d, { status: 'pending', lastStatusCode: i === 0 ? 302 : 307, lastError: `redirect to ${targets[i]} not followed: register the final URL` })
  }
  t.same(r.received.map((x) => x.path).sort(), ['/hook/0', '/hook/1'], 'nothing went to either Location')
})

t.test('a hanging receiver never holds up API requests', async (t) => {
  const order: string[] = []
  const r = await receiver(t, (_req, res) => {
    order.push('receiver got the request and hangs')
    t.teardown(() => void res.destroy())
  })
  // The app's own dispatcher, with its timer on (a long interval: the after-write nudge sends).
  const h: WebhookHarness = await webhookHarness(t, { webhookDispatchIntervalMs: 3_600_000 })
  await register(h, { url: r.url, events: ALL_EVENTS })
  const article = await createPublished(h)
  await r.until(1)
  const res = await h.app.inject({ method: 'PATCH', url: `/v1/articles/${article.id}`, headers: h.auth.write, payload: { headline: 'Still fast' } })
  order.push(`PATCH answered ${res.statusCode}`)
  t.same(order, ['receiver got the request and hangs', 'PATCH answered 200'])
  const feed = await h.app.inject({ url: '/v1/changes' })
  t.equal(feed.json().data[0].article.headline, 'Still fast', 'reads too')
})
