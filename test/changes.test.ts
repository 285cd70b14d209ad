import fc from 'fast-check'
import t from 'tap'
import { buildApp } from '../src/app.js'
import { build, memoryApp, testClock } from './helper.js'
import { createArticle } from './factories.js'

type Change = { type: 'upsert' | 'remove'; articleId: string; version: number; reason?: string; article?: { version: number } }
type Mirror = Map<string, number>
const HOUR = 60 * 60 * 1000

/** A consumer: applies events to its mirror (article id -> version) and keeps its cursor. */
async function follow(app: Awaited<ReturnType<typeof buildApp>>, mirror: Mirror, since: string | null, limit = 3) {
  const cursors: string[] = []
  for (;;) {
    const res = await app.inject({ url: `/v1/changes?limit=${limit}${since ? `&since=${since}` : ''}` })
    if (res.statusCode !== 200) throw new Error(`changes answered ${res.statusCode}: ${res.body}`)
    const { data, meta } = res.json() as { data: Change[]; meta: { nextCursor: string | null; hasMore: boolean } }
    for (const event of data) {
      if (event.type === 'upsert') mirror.set(event.articleId, event.article!.version)
      else mirror.delete(event.articleId)
    }
    since = meta.nextCursor
    if (since) cursors.push(since)
    if (!meta.hasMore) return { since, cursors }
  }
}

/** What an anonymous walk of GET /v1/articles returns: id -> version. */
async function publicList(app: Awaited<ReturnType<typeof buildApp>>): Promise<Mirror> {
  const seen: Mirror = new Map()
  let cursor: string | null = null
  do {
    const res = await app.inject({ url: `/v1/articles?limit=100${cursor ? `&cursor=${cursor}` : ''}` })
    const body = res.json() as { data: { id: string; version: number }[]; meta: { nextCursor: string | null } }
    for (const a of body.data) seen.set(a.id, a.version)
    cursor = body.meta.nextCursor
  } while (cursor)
  return seen
}

const op = fc.oneof(
  fc.record({ kind: fc.constant('create' as const), published: fc.boolean() }),
  fc.record({ kind: fc.constant('edit' as const), pick: fc.nat() }),
  fc.record({ kind: fc.constant('retag' as const), pick: fc.nat() }),
  fc.record({ kind: fc.constant('publish' as const), pick: fc.nat(), inHours: fc.constantFrom(0, 0, 2, 5) }),
  fc.record({ kind: fc.constant('unpublish' as const), pick: fc.nat() }),
  fc.record({ kind: fc.constant('archive' as const), pick: fc.nat() }),
  fc.record({ kind: fc.constant('embargo' as const), pick: fc.nat(), inHours: fc.constantFrom(-1, 1, 3) }),
  fc.record({ kind: fc.constant('delete' as const), pick: fc.nat() }),
  fc.record({ kind: fc.constant('restore' as const), pick: fc.nat() }),
  fc.record({ kind: fc.constant('renameTag' as const) }),
  fc.record({ kind: fc.constant('tick' as const), hours: fc.integer({ min: 1, max: 4 }) }),
  fc.record({ kind: fc.constant('consume' as const) }),
)

t.test('replaying the feed from any cursor ends with exactly the public list', async (t) => {
  await fc.assert(
    fc.asyncProperty(fc.array(op, { minLength: 5, maxLength: 35 }), async (ops) => {
      const clock = testClock()
      const { app, call, close } = await memoryApp(clock)
      try {
        await call('POST', '/v1/tags', { name: 'One', slug: 'one' })
        await call('POST', '/v1/tags', { name: 'Two', slug: 'two' })
        const ids: string[] = []
        const at = (n: number) => ids[n % ids.length]!
        // A consumer that started at the beginning and checked in along the way, with every cursor it saw.
        const live: Mirror = new Map()
        let liveSince: string | null = null
        const checkpoints: { since: string; mirror: Mirror }[] = []
        for (const step of ops) {
          if (step.kind === 'create') {
            const res = await call('POST', '/v1/articles', { headline: `Story ${ids.length}`, body: 'Text.', tags: ['one'], status: step.published ? 'published' : 'draft' })
            ids.push(res.json().id)
          } else if (step.kind === 'tick') clock.now += step.hours * HOUR
          else if (step.kind === 'renameTag') await call('PATCH', '/v1/tags/one', { name: `One ${clock.now}` })
          else if (step.kind === 'consume') {
            const result = await follow(app, live, liveSince)
            liveSince = result.since
            if (liveSince) checkpoints.push({ since: liveSince, mirror: new Map(live) })
          } else if (ids.length > 0) {
            const id = at(step.pick)
            const url = `/v1/articles/${id}`
            if (step.kind === 'edit') await call('PATCH', url, { body: `Edited at ${clock.now}.` })
            else if (step.kind === 'retag') await call('PATCH', url, { tags: step.pick % 2 ? ['two'] : ['one', 'two'] })
            else if (step.kind === 'publish') {
              const when = new Date(clock.now + step.inHours * HOUR).toISOString()
              await call('POST', `${url}/publish`, step.inHours === 0 ? {} : { at: when })
            } else if (step.kind === 'unpublish') await call('POST', `${url}/unpublish`)
            else if (step.kind === 'archive') await call('POST', `${url}/archive`)
            else if (step.kind === 'embargo') await call('PATCH', url, { embargoedUntil: new Date(clock.now + step.inHours * HOUR).toISOString() })
            else if (step.kind === 'delete') await call('DELETE', url)
            else if (step.kind === 'restore') await call('POST', `${url}/restore`)
          }
        }
        clock.now += HOUR // let the last write's instant pass, as any later reader would see it
        const expected = await publicList(app)
        const fromStart: Mirror = new Map()
        await follow(app, fromStart, null)
        if (JSON.stringify([...fromStart].sort()) !== JSON.stringify([...expected].sort())) {
          throw new Error(`from the start: ${JSON.stringify([...fromStart])} != ${JSON.stringify([...expected])}`)
        }
        await follow(app, live, liveSince)
        if (JSON.stringify([...live].sort()) !== JSON.stringify([...expected].sort())) throw new Error('the live consumer drifted')
        for (const point of checkpoints) {
          const resumed = new Map(point.mirror)
          await follow(app, resumed, point.since)
          if (JSON.stringify([...resumed].sort()) !== JSON.stringify([...expected].sort())) {
            throw new Error(`resumed from a cursor: ${JSON.stringify([...resumed])} != ${JSON.stringify([...expected])}`)
          }
        }
      } finally {
        await close()
      }
    }),
    { numRuns: 60 },
  )
  t.pass('the property held for every generated sequence')
})

t.test('a scheduled article appears in the feed when its time comes, with no write', async (t) => {
  const h = await build(t)
  const a = await createArticle(h)
  await h.app.inject({ method: 'POST', url: `/v1/articles/${a.id}/publish`, headers: h.auth.write, payload: { at: new Date(h.clock.now + HOUR).toISOString() } })
  const before = (await h.app.inject({ url: '/v1/changes' })).json()
  t.same(before.data, [])
  h.clock.now += HOUR
  const after = (await h.app.inject({ url: '/v1/changes' })).json()
  t.equal(after.data.length, 1)
  t.equal(after.data[0].type, 'upsert')
  t.equal(after.data[0].article.id, a.id)
})

t.test('remove events say why', async (t) => {
  const h = await build(t)
  const reasons: string[] = []
  for (const move of ['unpublish', 'archive', 'withdraw', 'delete', 'embargo'] as const) {
    const a = await createArticle(h, { status: 'published' })
    const { nextCursor } = (await h.app.inject({ url: '/v1/changes?limit=1000' })).json().meta
    const url = `/v1/articles/${a.id}`
    if (move === 'delete') await h.app.inject({ method: 'DELETE', url, headers: h.auth.write })
    else if (move === 'embargo') {
      await h.app.inject({ method: 'PATCH', url, headers: h.auth.write, payload: { embargoedUntil: new Date(h.clock.now + HOUR).toISOString() } })
    } else await h.app.inject({ method: 'POST', url: `${url}/${move}`, headers: h.auth.write, payload: move === 'withdraw' ? { reason: 'Legal' } : {} })
    const events = (await h.app.inject({ url: `/v1/changes?since=${nextCursor}` })).json().data
    t.equal(events.length, 1, move)
    t.equal(events[0].type, 'remove')
    t.notOk('article' in events[0], 'a removal carries no content')
    reasons.push(events[0].reason)
  }
  t.same(reasons, ['unpublished', 'archived', 'withdrawn', 'deleted', 'embargoed'])
})

t.test('drafts never reach the feed, and a bad or expired cursor is a problem', async (t) => {
  const h = await build(t, { config: { changesRetentionDays: 1 } })
  await createArticle(h)
  t.same((await h.app.inject({ url: '/v1/changes' })).json().data, [])
  const bad = await h.app.inject({ url: '/v1/changes?since=nope' })
  t.equal(bad.statusCode, 400)
  t.match(bad.headers['content-type'], /^application\/problem\+json/)
  await createArticle(h, { status: 'published' })
  const { nextCursor } = (await h.app.inject({ url: '/v1/changes' })).json().meta
  h.clock.now += 2 * 24 * HOUR
  const old = await h.app.inject({ url: `/v1/changes?since=${nextCursor}` })
  t.equal(old.statusCode, 410)
  t.match(old.json().detail, /export/)
})
