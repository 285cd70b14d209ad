import t, { type Test } from 'tap'
import type { LightMyRequestResponse } from 'fastify'
import { runCli } from '../src/cli/commands.js'
import { build, type Harness } from './helper.js'
import { createArticle } from './factories.js'

// API keys, scopes and who sees what (ARCHITECTURE.md section 3, "Auth" and the lifecycle table).

function problem(t: Test, res: LightMyRequestResponse, status: number, type: string) {
  t.equal(res.statusCode, status, `status ${status}: ${res.body.slice(0, 300)}`)
  t.match(res.headers['content-type'], /^application\/problem\+json/)
  const body = res.json()
  t.match(body, { type: `/problems/${type}`, title: String, status, detail: String, instance: String, requestId: String })
  return body
}

function unauthorized(t: Test, res: LightMyRequestResponse) {
  problem(t, res, 401, 'unauthorized')
  t.match(res.headers['www-authenticate'], /^Bearer\b/, 'names the Bearer scheme')
}

const newArticle = { headline: 'Hello', body: 'Some words.' }
const bearer = (key: string) => ({ authorization: `Bearer ${key}` })
const secretOf = (headers: { authorization: string }) => headers.authorization.slice('Bearer '.length)

const get = (h: Harness, url: string, headers: Record<string, string> = {}) =>
  h.app.inject({ method: 'GET', url, headers })
const post = (h: Harness, url: string, payload: object, headers: Record<string, string> = {}) =>
  h.app.inject({ method: 'POST', url, headers, payload })
const ids = (res: LightMyRequestResponse) => (res.json().data as { id: string }[]).map((a) => a.id)

t.test('a write without a key is a 401 naming the Bearer scheme', async (t) => {
  const h = await build(t)
  unauthorized(t, await post(h, '/v1/articles', newArticle))
  unauthorized(t, await h.app.inject({ method: 'DELETE', url: '/v1/tags/anything' }))
})

t.test('an unknown key is a 401, even on a public read', async (t) => {
  const h = await build(t)
  const wrong = bearer('nd_thisKeyWasNeverIssued0000000000000000000')
  unauthorized(t, await post(h, '/v1/articles', newArticle, wrong))
  unauthorized(t, await get(h, '/v1/articles', wrong))
  t.equal((await get(h, '/v1/articles')).statusCode, 200, 'the same read without a key works')
})

t.test('an Authorization header that is not Bearer is a 401', async (t) => {
  const h = await build(t)
  unauthorized(t, await get(h, '/v1/articles', { authorization: 'Basic x' }))
  unauthorized(t, await get(h, '/v1/articles', { authorization: 'Bearer' }))
  unauthorized(t, await get(h, '/v1/articles', { authorization: `Bearer ${secretOf(h.auth.read)} extra` }))
  const lower = await get(h, '/v1/articles?status=draft', { authorization: `bearer ${secretOf(h.auth.write)}` })
  t.equal(lower.statusCode, 200, 'the scheme name is case-insensitive (RFC 9110)')
})

t.test('a read key cannot write: 403', async (t) => {
  const h = await build(t)
  problem(t, await post(h, '/v1/articles', newArticle, h.auth.read), 403, 'forbidden')
  const count = h.db.$client.prepare('select count(*) as n from articles').get() as { n: number }
  t.equal(count.n, 0)
})

t.test('a write key cannot manage keys: 403', async (t) => {
  const h = await build(t)
  problem(t, await get(h, '/v1/keys', h.auth.write), 403, 'forbidden')
  problem(t, await post(h, '/v1/keys', { name: 'x', scope: 'admin' }, h.auth.write), 403, 'forbidden')
  unauthorized(t, await get(h, '/v1/keys'))
})

t.test('an admin creates, lists and revokes a key', async (t) => {
  const h = await build(t)
  const created = await post(h, '/v1/keys', { name: 'reporter', scope: 'write' }, h.auth.admin)
  t.equal(created.statusCode, 201, created.body)
  const key = created.json()
  t.match(key, { id: String, name: 'reporter', scope: 'write', createdAt: String, revokedAt: null })
  t.match(key.key, /^nd_/, 'the secret is returned once')
  t.equal(created.headers.location, `/v1/keys/${key.id}`)
  t.match(created.headers['cache-control'], /no-store/, 'the secret is not cached')
  t.equal(key.prefix, key.key.slice(0, key.prefix.length))

  t.equal((await post(h, '/v1/articles', newArticle, bearer(key.key))).statusCode, 201, 'the new key works')

  const list = await get(h, '/v1/keys', h.auth.admin)
  t.equal(list.statusCode, 200)
  const listed = list.json().data.find((k: { id: string }) => k.id === key.id)
  t.match(listed, { name: 'reporter', scope: 'write', revokedAt: null })
  t.notOk('key' in listed, 'no secret field')
  t.notOk(list.body.includes(key.key), 'the secret is nowhere in the listing')

  const revoked = await h.app.inject({ method: 'DELETE', url: `/v1/keys/${key.id}`, headers: h.auth.admin })
  t.equal(revoked.statusCode, 200, revoked.body)
  t.equal(revoked.json().id, key.id)
  t.equal(revoked.json().revokedAt, new Date(h.clock.now).toISOString())
  t.notOk(revoked.body.includes(key.key))

  unauthorized(t, await post(h, '/v1/articles', newArticle, bearer(key.key)))
  unauthorized(t, await get(h, '/v1/articles', bearer(key.key)))
  const after = (await get(h, '/v1/keys', h.auth.admin)).json().data.find((k: { id: string }) => k.id === key.id)
  t.equal(after.revokedAt, revoked.json().revokedAt, 'the record stays, marked revoked')
})

t.test('revoking an unknown or already revoked key is a 404', async (t) => {
  const h = await build(t)
  problem(t, await h.app.inject({ method: 'DELETE', url: '/v1/keys/key_nope', headers: h.auth.admin }), 404, 'not-found')
  const key = (await post(h, '/v1/keys', { name: 'x', scope: 'read' }, h.auth.admin)).json()
  t.equal((await h.app.inject({ method: 'DELETE', url: `/v1/keys/${key.id}`, headers: h.auth.admin })).statusCode, 200)
  problem(t, await h.app.inject({ method: 'DELETE', url: `/v1/keys/${key.id}`, headers: h.auth.admin }), 404, 'not-found')
})

t.test('keys are stored hashed: no column holds a secret', async (t) => {
  const h = await build(t)
  const key = (await post(h, '/v1/keys', { name: 'stored', scope: 'read' }, h.auth.admin)).json().key as string
  const secrets = [key, secretOf(h.auth.read), secretOf(h.auth.write), secretOf(h.auth.admin)]
  const rows = h.db.$client.prepare('select * from api_keys').all() as Record<string, unknown>[]
  t.equal(rows.length, 4)
  const leaks = rows.flatMap((row) =>
    Object.entries(row).filter(([, value]) => secrets.some((secret) => String(value).includes(secret))),
  )
  t.same(leaks, [], 'no column of any row holds a secret')
  t.ok(rows.every((row) => typeof row.hash === 'string' && /^[0-9a-f]{64}$/.test(row.hash)), 'a SHA-256 digest instead')
})

t.test('drafts are invisible to anonymous callers and read keys, visible with a write key', async (t) => {
  const h = await build(t)
  const draft = await createArticle(h, { slug: 'secret-draft' })
  t.equal(draft.status, 'draft')
  for (const [who, headers] of [['anonymous', {}], ['read key', h.auth.read]] as const) {
    problem(t, await get(h, `/v1/articles/${draft.id}`, headers), 404, 'not-found')
    problem(t, await get(h, '/v1/articles/secret-draft', headers), 404, 'not-found')
    const head = await h.app.inject({ method: 'HEAD', url: '/v1/articles/secret-draft', headers })
    t.equal(head.statusCode, 404, `HEAD for ${who}`)
    const list = await get(h, '/v1/articles', headers)
    t.equal(list.statusCode, 200)
    t.notOk(ids(list).includes(draft.id), `not listed for ${who}`)
    t.notOk(list.body.includes('secret-draft'), `nothing of it in the list for ${who}`)
  }
  t.equal((await get(h, `/v1/articles/${draft.id}`, h.auth.write)).statusCode, 200)
  t.equal((await get(h, '/v1/articles/secret-draft', h.auth.write)).json().id, draft.id)
})

t.test('listing drafts: anonymous 401, read key 403, write key 200', async (t) => {
  const h = await build(t)
  const draft = await createArticle(h)
  unauthorized(t, await get(h, '/v1/articles?status=draft'))
  problem(t, await get(h, '/v1/articles?status=draft', h.auth.read), 403, 'forbidden')
  const res = await get(h, '/v1/articles?status=draft', h.auth.write)
  t.equal(res.statusCode, 200)
  t.same(ids(res), [draft.id])
})

t.test('an article published for a future time appears when the clock passes it', async (t) => {
  const h = await build(t)
  const at = '2026-01-15T12:30:00.000Z'
  const scheduled = await createArticle(h, { status: 'published', publishedAt: at, slug: 'later' })
  const now = await createArticle(h, { status: 'published' })
  problem(t, await get(h, `/v1/articles/${scheduled.id}`), 404, 'not-found')
  problem(t, await get(h, '/v1/articles/later'), 404, 'not-found')
  t.same(ids(await get(h, '/v1/articles')), [now.id], 'only what is already out')
  problem(t, await get(h, '/v1/articles/later', h.auth.read), 404, 'not-found')
  t.equal((await get(h, '/v1/articles/later', h.auth.write)).statusCode, 200, 'a write key sees it')

  h.clock.now = Date.parse(at) - 1
  problem(t, await get(h, '/v1/articles/later'), 404, 'not-found')
  h.clock.now = Date.parse(at)
  t.equal((await get(h, '/v1/articles/later')).statusCode, 200, 'out at its time')
  t.same(ids(await get(h, '/v1/articles')), [scheduled.id, now.id], 'listed newest first')
})

t.test('Cache-Control is public for anonymous reads and private with a key; Vary names Authorization', async (t) => {
  const h = await build(t)
  const article = await createArticle(h, { status: 'published' })
  for (const url of [`/v1/articles/${article.id}`, '/v1/articles']) {
    const anonymous = await get(h, url)
    t.equal(anonymous.statusCode, 200)
    t.match(anonymous.headers['cache-control'], /^public\b/, `${url} anonymous`)
    t.notMatch(anonymous.headers['cache-control'], /private|no-store/)
    for (const headers of [h.auth.read, h.auth.write]) {
      const keyed = await get(h, url, headers)
      t.equal(keyed.statusCode, 200)
      t.equal(keyed.headers['cache-control'], 'private, no-store', `${url} keyed`)
      t.match(keyed.headers.vary, /\bAuthorization\b/i)
    }
    t.match(anonymous.headers.vary, /\bAuthorization\b/i)
  }
})

// The CLI works on the database file directly. The helper's build(t) wipes t.testdir(), so the
// app is built first and the CLI runs against the same file while the app has it open.

async function cli(h: Harness, argv: string[]) {
  const out: string[] = []
  const err: string[] = []
  const code = await runCli(argv, {
    env: { DATABASE_PATH: h.config.databasePath },
    out: (line) => out.push(line),
    err: (line) => err.push(line),
  })
  return { code, out, err }
}

t.test('CLI: keys create prints a key that authenticates against the app', async (t) => {
  const h = await build(t)
  t.match(h.config.databasePath, /newsdesk\.db$/)
  const created = await cli(h, ['keys', 'create', '--name', 'ci', '--scope', 'write'])
  t.equal(created.code, 0, created.err.join('\n'))
  const key = created.out.find((line) => line.startsWith('nd_'))
  t.ok(key, 'the secret is printed')
  const res = await post(h, '/v1/articles', newArticle, bearer(key!))
  t.equal(res.statusCode, 201, 'the key has the write scope')
  problem(t, await get(h, '/v1/keys', bearer(key!)), 403, 'forbidden')
})

t.test('CLI: keys list shows a key without its secret', async (t) => {
  const h = await build(t)
  const created = await cli(h, ['keys', 'create', '--name', 'ci', '--scope', 'read'])
  const key = created.out.find((line) => line.startsWith('nd_'))!
  const id = (await get(h, '/v1/keys', h.auth.admin)).json().data.find((k: { name: string }) => k.name === 'ci').id
  const listed = await cli(h, ['keys', 'list'])
  t.equal(listed.code, 0)
  const line = listed.out.find((l) => l.includes(id))
  t.ok(line, 'listed by id')
  t.match(line, /\bci\b/)
  t.match(line, /\bread\b/)
  t.match(line, /\bactive\b/)
  t.notOk(listed.out.join('\n').includes(key), 'the secret is not printed')
})

t.test('CLI: keys revoke ID makes the key fail', async (t) => {
  const h = await build(t)
  const key = (await cli(h, ['keys', 'create', '--name', 'ci', '--scope', 'write'])).out.find((l) => l.startsWith('nd_'))!
  t.equal((await get(h, '/v1/articles', bearer(key))).statusCode, 200)
  const id = (await get(h, '/v1/keys', h.auth.admin)).json().data.find((k: { name: string }) => k.name === 'ci').id
  const revoked = await cli(h, ['keys', 'revoke', id])
  t.equal(revoked.code, 0, revoked.err.join('\n'))
  unauthorized(t, await get(h, '/v1/articles', bearer(key)))
  t.match((await cli(h, ['keys', 'list'])).out.find((l) => l.includes(id)), /revoked/)
  t.equal((await cli(h, ['keys', 'revoke', id])).code, 1, 'revoking it again fails')
})

t.test('CLI: a bad --scope is a usage error (exit code 2) and creates nothing', async (t) => {
  const h = await build(t)
  const before = (await get(h, '/v1/keys', h.auth.admin)).json().data.length
  const res = await cli(h, ['keys', 'create', '--name', 'ci', '--scope', 'superuser'])
  t.equal(res.code, 2)
  t.match(res.err.join('\n'), /--scope/)
  t.same(res.out, [], 'no key printed')
  t.equal((await get(h, '/v1/keys', h.auth.admin)).json().data.length, before)
})
