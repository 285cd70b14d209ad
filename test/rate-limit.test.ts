import t, { type Test } from 'tap'
import type { LightMyRequestResponse } from 'fastify'
import { runCli } from '../src/cli/commands.js'
import { loadConfig, type Config } from '../src/config.js'
import { createPublished } from './factories.js'
import { build, type Harness } from './helper.js'

// Rate limits per key and per client address (issue 6, "Rate limits per key"): the headers of
// draft-ietf-httpapi-ratelimit-headers-11 on every response, 429 problems with Retry-After.

const bearer = (key: string) => ({ authorization: `Bearer ${key}` })
const get = (h: Harness, url: string, headers: Record<string, string> = {}, remoteAddress?: string) =>
  h.app.inject({ method: 'GET', url, headers, ...(remoteAddress ? { remoteAddress } : {}) })

/** The two draft headers, exactly: policy "default" with quota q per w seconds; r left, t seconds to go. */
function limits(t: Test, res: LightMyRequestResponse, expected: { q: number; w?: number; r: number; t?: number }) {
  const { q, w = 60, r, t: reset = 60 } = expected
  t.equal(res.headers['ratelimit-policy'], `"default";q=${q};w=${w}`, `${res.statusCode}: RateLimit-Policy`)
  t.equal(res.headers['ratelimit'], `"default";r=${r};t=${reset}`, `${res.statusCode}: RateLimit`)
}

function tooMany(t: Test, res: LightMyRequestResponse, retryAfter = 60) {
  t.equal(res.statusCode, 429, res.body.slice(0, 200))
  t.match(res.headers['content-type'], /^application\/problem\+json/)
  t.match(res.json(), { type: '/problems/rate-limited', title: String, status: 429, detail: String, instance: String })
  t.equal(res.headers['retry-after'], String(retryAfter), 'Retry-After: the end of the window, in seconds')
}

const limited = (t: Test, config: Partial<Config>) => build(t, { config: { rateLimitWindowSeconds: 60, ...config } })

t.test('every kind of response carries RateLimit-Policy and RateLimit: 200, 404 problem, 304, 401', async (t) => {
  const h = await limited(t, { rateLimitMax: 10 })
  const ok = await get(h, '/v1/articles')
  t.equal(ok.statusCode, 200)
  limits(t, ok, { q: 10, r: 9 })

  const missing = await get(h, '/v1/articles/no-such-article')
  t.equal(missing.statusCode, 404)
  t.match(missing.headers['content-type'], /^application\/problem\+json/)
  limits(t, missing, { q: 10, r: 8 })

  const unknownRoute = await get(h, '/nowhere')
  t.equal(unknownRoute.statusCode, 404)
  limits(t, unknownRoute, { q: 10, r: 7 })

  const notModified = await get(h, '/v1/articles', { 'if-none-match': String(ok.headers.etag) })
  t.equal(notModified.statusCode, 304)
  limits(t, notModified, { q: 10, r: 6 })

  // Refused before the key is known: counted against the caller's address, like an anonymous call.
  const unauthorized = await get(h, '/v1/articles', bearer('nd_thisKeyWasNeverIssued0000000000000000000'))
  t.equal(unauthorized.statusCode, 401)
  limits(t, unauthorized, { q: 10, r: 5 })

  const keyed = await get(h, '/v1/articles', h.auth.read)
  limits(t, keyed, { q: 10, r: 9 })
})

t.test('anonymous callers are limited by client address', async (t) => {
  const h = await limited(t, { rateLimitMax: 10, rateLimitAnonymousMax: 2 })
  limits(t, await get(h, '/v1/articles', {}, '203.0.113.1'), { q: 2, r: 1 })
  limits(t, await get(h, '/v1/articles', {}, '203.0.113.1'), { q: 2, r: 0 })
  tooMany(t, await get(h, '/v1/articles', {}, '203.0.113.1'))

  const other = await get(h, '/v1/articles', {}, '203.0.113.2')
  t.equal(other.statusCode, 200, 'another address has its own budget')
  limits(t, other, { q: 2, r: 1 })
  const withKey = await get(h, '/v1/articles', h.auth.read, '203.0.113.1')
  t.equal(withKey.statusCode, 200, 'a key from the same address is counted on its own')
  limits(t, withKey, { q: 10, r: 9 })
})

t.test('a key with its own rate_limit_max gets its own budget', async (t) => {
  const h = await limited(t, { rateLimitMax: 5 })
  const created = await h.app.inject({
    method: 'POST',
    url: '/v1/keys',
    headers: h.auth.admin,
    payload: { name: 'partner', scope: 'read', rateLimitMax: 2 },
  })
  t.equal(created.statusCode, 201, created.body)
  t.equal(created.json().rateLimitMax, 2)
  const listed = (await get(h, '/v1/keys', h.auth.admin)).json().data as { id: string; rateLimitMax: number | null }[]
  t.equal(listed.find((k) => k.id === created.json().id)?.rateLimitMax, 2, 'shown in the key listing')
  t.ok(listed.filter((k) => k.id !== created.json().id).every((k) => k.rateLimitMax === null), 'others: null')

  const partner = bearer(created.json().key)
  limits(t, await get(h, '/v1/articles', partner), { q: 2, r: 1 })
  limits(t, await get(h, '/v1/articles', partner), { q: 2, r: 0 })
  tooMany(t, await get(h, '/v1/articles', partner))
  limits(t, await get(h, '/v1/articles', h.auth.read), { q: 5, r: 4 })

  const zero = await h.app.inject({
    method: 'POST',
    url: '/v1/keys',
    headers: h.auth.admin,
    payload: { name: 'none', scope: 'read', rateLimitMax: 0 },
  })
  t.equal(zero.statusCode, 400)
  t.match(zero.json().errors, [{ in: 'body', pointer: '/rateLimitMax' }])
})

t.test('two keys do not share a budget', async (t) => {
  const h = await limited(t, { rateLimitMax: 2 })
  await get(h, '/v1/articles', h.auth.read)
  await get(h, '/v1/articles', h.auth.read)
  tooMany(t, await get(h, '/v1/articles', h.auth.read))
  const other = await get(h, '/v1/articles', h.auth.write)
  t.equal(other.statusCode, 200)
  limits(t, other, { q: 2, r: 1 })
})

t.test('the 429 is a problem with Retry-After no earlier than the end of the window', async (t) => {
  const h = await limited(t, { rateLimitMax: 1 })
  const article = await createPublished(h)
  h.clock.now += 15_000
  const over = await h.app.inject({ method: 'PATCH', url: `/v1/articles/${article.id}`, headers: h.auth.write, payload: { headline: 'x' } })
  tooMany(t, over, 45)
  limits(t, over, { q: 1, r: 0, t: 45 })
  t.match(over.json().detail, /all 1 request of this 60-second window; retry in 45 seconds/)
  const stored = await get(h, `/v1/articles/${article.id}`, h.auth.read)
  t.not(stored.json().headline, 'x', 'the refused PATCH changed nothing')
})

t.test('RATE_LIMIT_MAX=0 turns limiting off: no limits, no headers', async (t) => {
  const h = await limited(t, { rateLimitMax: 0, rateLimitAnonymousMax: 1 })
  const own = h.keys.create('small', 'read', { rateLimitMax: 1 }).key
  for (let i = 0; i < 5; i++) {
    for (const res of [await get(h, '/v1/articles'), await get(h, '/v1/articles', bearer(own))]) {
      t.equal(res.statusCode, 200)
      t.equal(res.headers['ratelimit-policy'], undefined)
      t.equal(res.headers['ratelimit'], undefined)
    }
  }
})

t.test('the window resets when its time has passed (the app clock)', async (t) => {
  const h = await limited(t, { rateLimitMax: 2, rateLimitWindowSeconds: 10 })
  limits(t, await get(h, '/v1/articles'), { q: 2, w: 10, r: 1, t: 10 })
  h.clock.now += 4_000
  limits(t, await get(h, '/v1/articles'), { q: 2, w: 10, r: 0, t: 6 })
  h.clock.now += 5_999
  tooMany(t, await get(h, '/v1/articles'), 1)
  h.clock.now += 1
  const fresh = await get(h, '/v1/articles')
  t.equal(fresh.statusCode, 200, 'a new window')
  limits(t, fresh, { q: 2, w: 10, r: 1, t: 10 })
})

t.test('TRUST_PROXY: X-Forwarded-For names the client only when the peer is a trusted proxy', async (t) => {
  const h = await limited(t, { rateLimitMax: 10, rateLimitAnonymousMax: 1, trustProxy: ['127.0.0.1'] })
  const viaProxy = (client: string) => get(h, '/v1/articles', { 'x-forwarded-for': client }, '127.0.0.1')
  t.equal((await viaProxy('198.51.100.7')).statusCode, 200)
  tooMany(t, await viaProxy('198.51.100.7'))
  t.equal((await viaProxy('198.51.100.8')).statusCode, 200, 'each forwarded client has its own budget')

  const direct = (forged: string) => get(h, '/v1/articles', { 'x-forwarded-for': forged }, '203.0.113.5')
  t.equal((await direct('192.0.2.1')).statusCode, 200)
  tooMany(t, await direct('192.0.2.2'), 60)
})

t.test('CLI: keys create --rate-limit N sets the key\'s own limit', async (t) => {
  const h = await limited(t, { rateLimitMax: 5 })
  const run = async (...argv: string[]) => {
    const out: string[] = []
    const err: string[] = []
    const code = await runCli(argv, { env: { DATABASE_PATH: h.config.databasePath }, out: (l) => out.push(l), err: (l) => err.push(l) })
    return { code, out, err }
  }
  const made = await run('keys', 'create', '--name', 'feed', '--scope', 'read', '--rate-limit', '3')
  t.equal(made.code, 0, made.err.join('\n'))
  limits(t, await get(h, '/v1/articles', bearer(made.out[1]!)), { q: 3, r: 2 })

  for (const bad of ['0', '1e3', '2.5', 'lots']) {
    const refused = await run('keys', 'create', '--name', 'x', '--scope', 'read', '--rate-limit', bad)
    t.equal(refused.code, 2, `--rate-limit ${bad} is refused`)
    t.match(refused.err.join('\n'), /--rate-limit must be/)
  }
})

t.test('config: defaults, formats, and errors that name the variable', async (t) => {
  const defaults = loadConfig({})
  t.match(defaults, { rateLimitMax: 600, rateLimitWindowSeconds: 60, rateLimitAnonymousMax: undefined, trustProxy: false })
  t.match(
    loadConfig({ RATE_LIMIT_MAX: '0', RATE_LIMIT_WINDOW: '90s', RATE_LIMIT_ANONYMOUS_MAX: '30', TRUST_PROXY: 'true' }),
    { rateLimitMax: 0, rateLimitWindowSeconds: 90, rateLimitAnonymousMax: 30, trustProxy: true },
  )
  t.equal(loadConfig({ RATE_LIMIT_WINDOW: '1h' }).rateLimitWindowSeconds, 3600)
  t.same(loadConfig({ TRUST_PROXY: '10.0.0.1, 10.1.0.0/16,::1,loopback' }).trustProxy, ['10.0.0.1', '10.1.0.0/16', '::1', 'loopback'])

  const bad: Record<string, string[]> = {
    RATE_LIMIT_MAX: ['-1', '1.5', 'many'],
    RATE_LIMIT_WINDOW: ['60', '1 minute', '0s', '25h', 'soon'],
    RATE_LIMIT_ANONYMOUS_MAX: ['0', 'x'],
    TRUST_PROXY: ['yes', '2', '10.0.0.300', '10.0.0.0/33', ','],
  }
  for (const [name, values] of Object.entries(bad)) {
    for (const value of values) {
      t.throws(() => loadConfig({ [name]: value }), { name: 'ConfigError', message: new RegExp(`\\b${name}: `) }, `${name}=${value}`)
    }
  }
})
