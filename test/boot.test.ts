import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { ConfigError, loadConfig } from '../src/config.js'
import { openDatabase } from '../src/db/client.js'
import { createKeysService } from '../src/modules/keys/keys.service.js'
import { renderOpenApi } from '../src/openapi-spec.js'
import { build } from './helper.js'

t.test('config: defaults, and a message naming each bad variable', async (t) => {
  const config = loadConfig({})
  t.equal(config.port, 3000)
  t.equal(config.databasePath, './data/newsdesk.db')
  t.equal(config.bodyLimit, 1024 * 1024)
  t.equal(loadConfig({ PORT: '8080', BODY_LIMIT: '' }).port, 8080, 'an empty variable counts as unset')
  t.throws(() => loadConfig({ PORT: 'eighty' }), ConfigError)
  try {
    loadConfig({ PORT: '70000', LOG_LEVEL: 'loud', NEWSDESK_ADMIN_KEY: 'short' })
    t.fail('should have thrown')
  } catch (error) {
    const message = (error as Error).message
    for (const name of ['PORT', 'LOG_LEVEL', 'NEWSDESK_ADMIN_KEY']) t.match(message, name, `names ${name}`)
  }
})

t.test('migrations build the schema on an empty database, in a directory that did not exist', async (t) => {
  const path = join(t.testdir(), 'nested', 'dir', 'fresh.db')
  const db = openDatabase(path)
  t.teardown(() => db.$client.close())
  const tables = db.$client
    .prepare("select name from sqlite_master where type = 'table' and name not like 'sqlite_%' and name not like 'articles_fts_%' order by name")
    .pluck()
    .all()
  for (const table of ['api_keys', 'articles', 'article_tags', 'articles_fts', 'article_events', 'article_revisions', 'sources', 'tags']) {
    t.ok(tables.includes(table), `has ${table}`)
  }
  const journal = JSON.parse(readFileSync(new URL('../migrations/meta/_journal.json', import.meta.url), 'utf8'))
  t.equal(db.$client.prepare('select count(*) from __drizzle_migrations').pluck().get(), journal.entries.length, 'every migration applied')
  t.equal(db.$client.pragma('journal_mode', { simple: true }), 'wal')
  t.equal(db.$client.pragma('foreign_keys', { simple: true }), 1)
})

t.test('opening an existing database again applies nothing twice and keeps its rows', async (t) => {
  const path = join(t.testdir(), 'again.db')
  const first = openDatabase(path)
  createKeysService(first, Date.now).create('kept', 'read')
  first.$client.close()
  const second = openDatabase(path)
  t.teardown(() => second.$client.close())
  t.equal(createKeysService(second, Date.now).list().length, 1)
})

t.test('first start: an admin key is made once, or taken from NEWSDESK_ADMIN_KEY', async (t) => {
  const db = openDatabase(join(t.testdir(), 'keys.db'))
  t.teardown(() => db.$client.close())
  const keys = createKeysService(db, Date.now)
  const first = keys.ensureAdminKey(undefined)
  t.ok(first?.key.startsWith('nd_'), 'a key is printed on first start')
  t.equal(first?.record.scope, 'admin')
  t.equal(keys.ensureAdminKey(undefined), undefined, 'not again once a key exists')
  const configured = 'a-container-secret-of-enough-length'
  t.equal(keys.ensureAdminKey(configured), undefined)
  t.equal(keys.authenticate(configured)?.scope, 'admin', 'the configured key works')
  keys.ensureAdminKey(configured)
  t.equal(keys.list().length, 2, 'registering the configured key is idempotent')
})

t.test('health and readiness', async (t) => {
  const { app } = await build(t)
  const live = await app.inject({ url: '/health' })
  t.equal(live.statusCode, 200)
  t.same(live.json(), { status: 'ok' })
  const ready = await app.inject({ url: '/health/ready' })
  t.equal(ready.statusCode, 200)
  t.equal(ready.json().status, 'ok')
})

t.test('readiness answers 503 when migrations are missing', async (t) => {
  const h = await build(t)
  h.db.$client.exec('delete from __drizzle_migrations')
  const res = await h.app.inject({ url: '/health/ready' })
  t.equal(res.statusCode, 503)
  t.match(res.headers['content-type'], /^application\/problem\+json/)
})

t.test('the committed OpenAPI document is what the routes generate', async (t) => {
  const committed = readFileSync(new URL('../openapi/openapi.json', import.meta.url), 'utf8')
  t.equal(await renderOpenApi(), committed, 'run `npm run openapi` and commit the result')
})

t.test('/openapi.json and /docs are served', async (t) => {
  const { app } = await build(t)
  const spec = await app.inject({ url: '/openapi.json' })
  t.equal(spec.statusCode, 200)
  const document = spec.json()
  t.equal(document.openapi, '3.1.0')
  const operations = Object.values(document.paths).flatMap((item) => Object.values(item as object))
  t.ok(operations.length >= 17)
  for (const op of operations) {
    t.ok(op.operationId, `operationId on ${op.summary}`)
    t.ok(op.tags?.length, `tags on ${op.operationId}`)
  }
  const docs = await app.inject({ url: '/docs/' })
  t.equal(docs.statusCode, 200)
  t.match(docs.body, /swagger-ui/)
  const asset = await app.inject({ url: '/docs/static/swagger-ui-bundle.js' })
  t.equal(asset.statusCode, 200, 'assets come from node_modules, not a CDN')
})
