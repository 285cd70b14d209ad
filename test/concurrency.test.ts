import type { FastifyInstance, LightMyRequestResponse } from 'fastify'
import t, { type Test } from 'tap'
import { buildApp } from '../src/app.js'
import { openDatabase } from '../src/db/client.js'
import { createArticle, createPublished } from './factories.js'
import { build, type Harness } from './helper.js'

// Safe concurrent edits (issue 4): requests fired at once, on one app and on two apps sharing
// one database file. Exactly one of those carrying the same ETag wins; nothing is lost; no 5xx.

const N = 10
type Res = LightMyRequestResponse

const statuses = (responses: Res[]) => responses.map((r) => r.statusCode).sort()
const revisionCount = (h: Harness, id: string) =>
  h.db.$client.prepare('SELECT count(*) FROM article_revisions WHERE article_id = ?').pluck().get(id)
const stored = (h: Harness, id: string) =>
  h.db.$client.prepare('SELECT headline, status, version FROM articles WHERE id = ?').get(id) as {
    headline: string
    status: string
    version: number
  }

/** A second app on the same database file, with its own connection, closed on teardown. */
async function secondApp(t: Test, h: Harness): Promise<FastifyInstance> {
  const db = openDatabase(h.config.databasePath)
  const app = await buildApp({ config: h.config, db, clock: h.clock, logger: false })
  t.teardown(async () => {
    await app.close()
    db.$client.close()
  })
  return app
}

t.test(`${N} concurrent PATCHes with the same If-Match: one 200, the rest 412, the winner stored`, async (t) => {
  const h = await build(t)
  const a = await createArticle(h)
  const responses = await Promise.all(
    Array.from({ length: N }, (_, i) =>
      h.app.inject({
        method: 'PATCH',
        url: `/v1/articles/${a.id}`,
        headers: { ...h.auth.write, 'if-match': '"v1"' },
        payload: { headline: `Edit ${i}` },
      }),
    ),
  )
  t.same(statuses(responses), [200, ...Array(N - 1).fill(412)])
  const winner = responses.find((r) => r.statusCode === 200)!.json()
  for (const loser of responses.filter((r) => r.statusCode === 412)) t.match(loser.json(), { status: 412, currentVersion: 2 })
  t.equal(winner.version, 2)
  t.match(stored(h, a.id), { headline: winner.headline, version: 2 }, 'the winning change is the one stored')
  t.equal(revisionCount(h, a.id), 2, 'one revision for the one change')
  t.equal((await h.app.inject({ method: 'GET', url: `/v1/articles/${a.id}`, headers: h.auth.write })).json().headline, winner.headline)
})

t.test(`${N} concurrent transitions with the same If-Match: one wins, the rest 412`, async (t) => {
  const h = await build(t)
  const a = await createPublished(h)
  const moves = ['archive', 'unpublish', 'withdraw'] as const
  const responses = await Promise.all(
    Array.from({ length: N }, (_, i) => {
      const m = moves[i % moves.length]!
      return h.app.inject({
        method: 'POST',
        url: `/v1/articles/${a.id}/${m}`,
        headers: { ...h.auth.write, 'if-match': '"v1"' },
        ...(m === 'withdraw' ? { payload: { reason: 'Legal' } } : {}),
      })
    }),
  )
  t.same(statuses(responses), [200, ...Array(N - 1).fill(412)])
  const winner = responses.find((r) => r.statusCode === 200)!.json()
  t.match(stored(h, a.id), { status: winner.status, version: 2 })
  t.equal(revisionCount(h, a.id), 2)
})

t.test(`${N} concurrent archives without If-Match: the lifecycle lets one through, the rest 409`, async (t) => {
  const h = await build(t)
  const a = await createPublished(h)
  const responses = await Promise.all(
    Array.from({ length: N }, () => h.app.inject({ method: 'POST', url: `/v1/articles/${a.id}/archive`, headers: h.auth.write })),
  )
  t.same(statuses(responses), [200, ...Array(N - 1).fill(409)])
  for (const refused of responses.filter((r) => r.statusCode === 409)) t.same(refused.json().allowedTransitions, ['publish', 'withdraw'])
  t.match(stored(h, a.id), { status: 'archived', version: 2 })
})

t.test(`${N} concurrent corrections without If-Match: all applied, each its own version`, async (t) => {
  const h = await build(t)
  const a = await createPublished(h)
  const responses = await Promise.all(
    Array.from({ length: N }, (_, i) =>
      h.app.inject({ method: 'POST', url: `/v1/articles/${a.id}/corrections`, headers: h.auth.write, payload: { text: `Fix ${i}` } }),
    ),
  )
  t.same(statuses(responses), Array(N).fill(201))
  t.same(responses.map((r) => r.json().version).sort((x, y) => x - y), Array.from({ length: N }, (_, i) => i + 2))
  t.equal(stored(h, a.id).version, N + 1)
  const article = (await h.app.inject({ method: 'GET', url: `/v1/articles/${a.id}` })).json()
  t.same(article.corrections.map((c: { text: string }) => c.text).sort(), Array.from({ length: N }, (_, i) => `Fix ${i}`).sort())
})

t.test('two apps on one database file: concurrent writes never 5xx and never lose an update', async (t) => {
  const h = await build(t)
  const other = await secondApp(t, h)
  const apps = [h.app, other]
  const a = await createArticle(h)
  const oks: { version: number; headline: string }[] = []
  const all: Res[] = []
  for (let round = 0; round < 8; round++) {
    // Everyone in a round read the same version. Even rounds all send it; odd rounds mix it
    // with a stale ETag and with no If-Match at all (which always goes through).
    const version = stored(h, a.id).version
    const ifMatchOf = (i: number) =>
      round % 2 === 0 || i % 3 === 1 ? `"v${version}"` : i % 3 === 2 ? `"v${version - 1}"` : undefined
    const responses = await Promise.all(
      Array.from({ length: N }, (_, i) => {
        const ifMatch = ifMatchOf(i)
        return apps[i % 2]!.inject({
          method: 'PATCH',
          url: `/v1/articles/${a.id}`,
          headers: { ...h.auth.write, ...(ifMatch === undefined ? {} : { 'if-match': ifMatch }) },
          payload: { headline: `Round ${round} request ${i}`, summary: `from app ${i % 2}` },
        })
      }),
    )
    all.push(...responses)
    for (const r of responses) if (r.statusCode === 200) oks.push(r.json())
    const conditional = responses.filter((_, i) => ifMatchOf(i) !== undefined)
    const winners = conditional.filter((r) => r.statusCode === 200).length
    if (round % 2 === 0) t.equal(winners, 1, `round ${round}: exactly one of ${N} sending the current ETag wins`)
    else {
      t.ok(winners <= 1, `round ${round}: at most one conditional PATCH wins`)
      t.ok(responses.every((r, i) => ifMatchOf(i) !== undefined || r.statusCode === 200), `round ${round}: unconditional ones go through`)
    }
  }
  t.same([...new Set(all.map((r) => r.statusCode))].sort(), [200, 412], 'only 200s and 412s, no 5xx')
  const versions = oks.map((o) => o.version).sort((x, y) => x - y)
  t.same(versions, Array.from({ length: oks.length }, (_, i) => i + 2), 'every 200 made its own version')
  const final = stored(h, a.id)
  t.equal(final.version, 1 + oks.length, 'final version = initial + number of 200s')
  t.equal(final.headline, oks.find((o) => o.version === final.version)!.headline, 'the last 200 is what is stored')
  t.equal(revisionCount(h, a.id), 1 + oks.length, 'a revision for each')
  for (const ok of oks) {
    const res = await other.inject({ method: 'GET', url: `/v1/articles/${a.id}/revisions/${ok.version}`, headers: h.auth.write })
    t.equal(res.json().article.headline, ok.headline, `revision ${ok.version} is the change that answered 200`)
  }
})

t.test('two apps on one database file: concurrent transitions with one ETag, exactly one wins', async (t) => {
  const h = await build(t)
  const other = await secondApp(t, h)
  const a = await createPublished(h)
  const responses = await Promise.all(
    Array.from({ length: N }, (_, i) =>
      (i % 2 === 0 ? h.app : other).inject({
        method: 'POST',
        url: `/v1/articles/${a.id}/${i % 2 === 0 ? 'archive' : 'unpublish'}`,
        headers: { ...h.auth.write, 'if-match': '"v1"' },
      }),
    ),
  )
  t.same(statuses(responses), [200, ...Array(N - 1).fill(412)])
  t.match(stored(h, a.id), { status: responses.find((r) => r.statusCode === 200)!.json().status, version: 2 })
  t.equal(revisionCount(h, a.id), 2)
})

/**
 * The second app in a worker thread: its own connection writing at the same moment as the
 * main thread's, so SQLite's write lock is really contended (busy waits, not just turns).
 */
const WORKER = `
const { parentPort, workerData } = require('node:worker_threads')
;(async () => {
  // tap's TypeScript loader does not reach worker threads: load src/ through tsx here.
  ;(await import('tsx/esm/api')).register()
  const { buildApp } = await import(workerData.app)
  const { openDatabase } = await import(workerData.client)
  const db = openDatabase(workerData.config.databasePath)
  const app = await buildApp({ config: workerData.config, db, clock: () => workerData.now, logger: false })
  // Warm up the PATCH path first (a stale If-Match writes nothing), or the main thread, already
  // warm, can finish all its bursts before this thread's first one has run.
  await app.inject({ method: 'PATCH', url: workerData.url, headers: { ...workerData.headers, 'if-match': '"v0"' }, payload: { headline: 'warm-up' } })
  parentPort.postMessage({ ready: true })
  await new Promise((resolve) => parentPort.once('message', resolve))
  const results = []
  for (let burst = 0; burst < workerData.bursts; burst++) {
    const responses = await Promise.all(Array.from({ length: 5 }, (_, i) => app.inject({
      method: 'PATCH', url: workerData.url, headers: workerData.headers,
      payload: { headline: 'worker ' + burst + '.' + i },
    })))
    for (const r of responses) results.push({ status: r.statusCode, body: r.statusCode === 200 ? r.json() : null })
  }
  await app.close()
  db.$client.close()
  parentPort.postMessage({ results })
})().catch((error) => parentPort.postMessage({ error: String(error && error.stack || error) }))
`

t.test('an app in another thread on the same file: truly parallel writes, no 5xx, no lost update', async (t) => {
  const { Worker } = await import('node:worker_threads')
  const h = await build(t)
  const a = await createArticle(h)
  const bursts = 20
  const worker = new Worker(WORKER, {
    eval: true,
    workerData: {
      app: new URL('../src/app.js', import.meta.url).href,
      client: new URL('../src/db/client.js', import.meta.url).href,
      config: h.config,
      now: h.clock.now,
      url: `/v1/articles/${a.id}`,
      headers: h.auth.write,
      bursts,
    },
  })
  t.teardown(() => worker.terminate())
  type Result = { status: number; body: { version: number; headline: string } | null }
  const messages: ((message: { ready?: true; results?: Result[]; error?: string }) => void)[] = []
  worker.on('message', (message) => messages.shift()?.(message))
  const next = () =>
    new Promise<{ ready?: true; results?: Result[] }>((resolve, reject) => {
      worker.once('error', reject)
      messages.push((message) => (message.error ? reject(new Error(message.error)) : resolve(message)))
    })
  await next() // the worker's app is built: start both at once
  const fromWorker = next()
  worker.postMessage('go')
  const mine: Result[] = []
  for (let burst = 0; burst < bursts; burst++) {
    const version = stored(h, a.id).version
    const responses = await Promise.all(
      Array.from({ length: 5 }, (_, i) =>
        h.app.inject({
          method: 'PATCH',
          url: `/v1/articles/${a.id}`,
          headers: { ...h.auth.write, ...(i % 2 === 0 ? { 'if-match': `"v${version}"` } : {}) },
          payload: { headline: `main ${burst}.${i}` },
        }),
      ),
    )
    for (const r of responses) mine.push({ status: r.statusCode, body: r.statusCode === 200 ? r.json() : null })
  }
  const theirs = (await fromWorker).results!
  const every = [...mine, ...theirs]
  t.same([...new Set(every.map((r) => r.status))].filter((s) => s !== 200 && s !== 412), [], 'only 200s and 412s, no 5xx')
  t.ok(theirs.every((r) => r.status === 200), 'the worker’s unconditional PATCHes all went through')
  const oks = every.flatMap((r) => (r.body ? [r.body] : []))
  t.same(oks.map((o) => o.version).sort((x, y) => x - y), Array.from({ length: oks.length }, (_, i) => i + 2), 'each 200 its own version')
  t.equal(stored(h, a.id).version, 1 + oks.length, 'final version = initial + number of 200s')
  t.equal(revisionCount(h, a.id), 1 + oks.length)
  const workerVersions = theirs.map((r) => r.body!.version)
  const [low, high] = [Math.min(...workerVersions), Math.max(...workerVersions)]
  t.ok(mine.some((r) => r.body && r.body.version > low && r.body.version < high), 'the two threads’ writes interleaved')
  const snapshots = h.db.$client.prepare('SELECT version, snapshot FROM article_revisions WHERE article_id = ?').all(a.id) as { version: number; snapshot: string }[]
  const byVersion = new Map(snapshots.map((s) => [s.version, JSON.parse(s.snapshot).headline]))
  t.ok(oks.every((o) => byVersion.get(o.version) === o.headline), 'every 200 is the revision at its version')
})
