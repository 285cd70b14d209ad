import fc from 'fast-check'
import t from 'tap'
import { memoryApp, testClock } from './helper.js'

// The whole public list's facets and total come from list_counts, kept by triggers (migration
// 0009), less what the clock still hides (src/modules/articles/list-counts.ts). After any
// sequence of writes and moves of the clock they must equal the live counts (the same list
// with a filter that leaves everything in, `from=1970-01-01`) and what a walk of the list finds.
// The article counts of the tag and source lists (withCounts) come from the same counts: they
// must equal a walk too, for anonymous readers and for a write key (who sees embargoed articles).

const HOUR = 60 * 60 * 1000
const TAGS = ['one', 'two', 'three']
const SOURCES = ['alpha', 'beta']

const op = fc.oneof(
  fc.record({
    kind: fc.constant('create' as const),
    published: fc.boolean(),
    daysAgo: fc.integer({ min: 0, max: 90 }),
    tags: fc.subarray(TAGS),
    source: fc.constantFrom(undefined, ...SOURCES),
  }),
  fc.record({ kind: fc.constant('retag' as const), pick: fc.nat(), tags: fc.subarray(TAGS) }),
  fc.record({ kind: fc.constant('resource' as const), pick: fc.nat(), source: fc.constantFrom(null, ...SOURCES) }),
  fc.record({ kind: fc.constant('redate' as const), pick: fc.nat(), daysAgo: fc.integer({ min: 0, max: 90 }) }),
  fc.record({ kind: fc.constant('edit' as const), pick: fc.nat() }),
  fc.record({ kind: fc.constant('publish' as const), pick: fc.nat(), inHours: fc.constantFrom(0, 2, 5) }),
  fc.record({ kind: fc.constant('unpublish' as const), pick: fc.nat() }),
  fc.record({ kind: fc.constant('archive' as const), pick: fc.nat() }),
  fc.record({ kind: fc.constant('embargo' as const), pick: fc.nat(), inHours: fc.constantFrom(-1, 1, 3) }),
  fc.record({ kind: fc.constant('delete' as const), pick: fc.nat() }),
  fc.record({ kind: fc.constant('restore' as const), pick: fc.nat() }),
  fc.record({ kind: fc.constant('purgeRow' as const), pick: fc.nat() }),
  fc.record({ kind: fc.constant('deleteTag' as const), tag: fc.constantFrom(...TAGS) }),
  fc.record({ kind: fc.constant('tick' as const), hours: fc.integer({ min: 1, max: 4 }) }),
  fc.record({ kind: fc.constant('check' as const) }),
)

type Item = { tags: { slug: string; name: string }[]; source: { slug: string; name: string } | null; publishedAt: string }
type Counted = { slug?: string; name?: string; month?: string; count: number }

/** Facets as a walk of the list counts them: most used first, ties by name. */
function walkFacets(items: Item[]) {
  const tally = (keys: { slug: string; name: string }[]) => {
    const counts = new Map<string, Counted>()
    for (const { slug, name } of keys) counts.set(slug, { slug, name, count: (counts.get(slug)?.count ?? 0) + 1 })
    return [...counts.values()].sort((a, b) => b.count - a.count || (a.name! < b.name! ? -1 : a.name! > b.name! ? 1 : 0)).slice(0, 20)
  }
  const months = new Map<string, number>()
  for (const item of items) months.set(item.publishedAt.slice(0, 7), (months.get(item.publishedAt.slice(0, 7)) ?? 0) + 1)
  return {
    tag: tally(items.flatMap((item) => item.tags)),
    source: tally(items.flatMap((item) => (item.source ? [item.source] : []))),
    month: [...months].sort(([a], [b]) => (a < b ? 1 : -1)).map(([month, count]) => ({ month, count })),
  }
}

t.test('the counted facets and total equal the live ones and a walk of the list', async (t) => {
  let checks = 0
  await fc.assert(
    fc.asyncProperty(fc.array(op, { minLength: 5, maxLength: 30 }), async (ops) => {
      const clock = testClock()
      const { app, db, call, close, headers } = await memoryApp(clock)
      try {
        for (const slug of TAGS) await call('POST', '/v1/tags', { name: slug.toUpperCase(), slug })
        for (const slug of SOURCES) await call('POST', '/v1/sources', { name: slug.toUpperCase(), slug })
        const ids: string[] = []
        const at = (n: number) => ids[n % ids.length]!
        const daysAgo = (days: number) => new Date(clock.now - days * 24 * HOUR).toISOString()

        const check = async () => {
          const get = async (url: string, as: Record<string, string> = {}) => (await app.inject({ url, headers: as })).json()
          const walk = async (as: Record<string, string> = {}) => {
            const items: Item[] = []
            let page = await get('/v1/articles?limit=100', as)
            items.push(...page.data)
            while (page.meta.nextCursor) {
              page = await get(`/v1/articles?limit=100&cursor=${page.meta.nextCursor}`, as)
              items.push(...page.data)
            }
            return items
          }
          const counted = (await get('/v1/articles?facets=tag,source,month&count=true&limit=1')).meta
          const live = (await get('/v1/articles?facets=tag,source,month&count=true&limit=1&from=1970-01-01')).meta
          const items = await walk()
          const expected = { total: items.length, facets: walkFacets(items) }
          const got = { total: counted.total, facets: counted.facets }
          const liveGot = { total: live.total, facets: live.facets }
          if (JSON.stringify(got) !== JSON.stringify(expected) || JSON.stringify(liveGot) !== JSON.stringify(expected)) {
            throw new Error(`counted ${JSON.stringify(got)}\nlive ${JSON.stringify(liveGot)}\nwalked ${JSON.stringify(expected)}`)
          }
          for (const as of [{}, headers] as Record<string, string>[]) {
            const seen = as === headers ? await walk(as) : items
            for (const [resource, keysOf] of [
              ['tags', (item: Item) => item.tags.map((tag) => tag.slug)],
              ['sources', (item: Item) => (item.source ? [item.source.slug] : [])],
            ] as const) {
              const walked: Record<string, number> = {}
              for (const slug of seen.flatMap(keysOf)) walked[slug] = (walked[slug] ?? 0) + 1
              const listed = (await get(`/v1/${resource}?withCounts=true&limit=100`, as)).data as { slug: string; articleCount: number }[]
              const countedBy = Object.fromEntries(listed.filter((x) => x.articleCount > 0).map((x) => [x.slug, x.articleCount]))
              if (JSON.stringify(Object.entries(countedBy).sort()) !== JSON.stringify(Object.entries(walked).sort())) {
                throw new Error(`${resource} withCounts ${as === headers ? '(write key)' : '(anonymous)'} ${JSON.stringify(countedBy)}\nwalked ${JSON.stringify(walked)}`)
              }
            }
          }
          checks++
        }

        for (const step of ops) {
          if (step.kind === 'create') {
            const res = await call('POST', '/v1/articles', {
              headline: `Story ${ids.length}`,
              body: 'Text.',
              tags: step.tags,
              ...(step.source ? { source: step.source } : {}),
              status: step.published ? 'published' : 'draft',
              ...(step.published ? { publishedAt: daysAgo(step.daysAgo) } : {}),
            })
            if (res.statusCode === 201) ids.push(res.json().id)
          } else if (step.kind === 'tick') clock.now += step.hours * HOUR
          else if (step.kind === 'check') await check()
          else if (step.kind === 'deleteTag') await call('DELETE', `/v1/tags/${step.tag}`)
          else if (ids.length > 0) {
            const id = at(step.pick)
            const url = `/v1/articles/${id}`
            if (step.kind === 'retag') await call('PATCH', url, { tags: step.tags })
            else if (step.kind === 'resource') await call('PATCH', url, { source: step.source })
            else if (step.kind === 'redate') await call('PATCH', url, { publishedAt: daysAgo(step.daysAgo) })
            else if (step.kind === 'edit') await call('PATCH', url, { body: `Edited at ${clock.now}.` })
            else if (step.kind === 'publish') {
              await call('POST', `${url}/publish`, step.inHours === 0 ? {} : { at: new Date(clock.now + step.inHours * HOUR).toISOString() })
            } else if (step.kind === 'unpublish') await call('POST', `${url}/unpublish`)
            else if (step.kind === 'archive') await call('POST', `${url}/archive`)
            else if (step.kind === 'embargo') await call('PATCH', url, { embargoedUntil: new Date(clock.now + step.inHours * HOUR).toISOString() })
            else if (step.kind === 'delete') await call('DELETE', url)
            else if (step.kind === 'restore') await call('POST', `${url}/restore`)
            // An operator's purge of a row that is still listed: the triggers must take it out too.
            else if (step.kind === 'purgeRow') db.$client.prepare('DELETE FROM articles WHERE id = ?').run(id)
          }
        }
        await check()
        clock.now += 6 * HOUR // every scheduled article and embargo of the sequence has come due
        await check()
      } finally {
        await close()
      }
    }),
    { numRuns: 60 },
  )
  t.ok(checks >= 120, `${checks} comparisons`)
})
