import t, { type Test } from 'tap'
import { createArticle, createPublished, createSources, createTags } from './factories.js'
import { build, type Harness } from './helper.js'
import { get, type Headers } from './reading.js'

// The article lifecycle (issue 4): transitions, PATCH status, clock-driven schedule and
// embargo on every read path, withdrawal, corrections, If-Match and REQUIRE_IF_MATCH.

type State = 'draft' | 'scheduled' | 'published' | 'archived' | 'withdrawn'
type Move = 'publish' | 'unpublish' | 'archive' | 'withdraw'
const STATES: State[] = ['draft', 'scheduled', 'published', 'archived', 'withdrawn']
const MOVES: Move[] = ['publish', 'unpublish', 'archive', 'withdraw']
const ALLOWED: Record<State, Move[]> = {
  draft: ['publish'],
  scheduled: ['publish', 'unpublish'],
  published: ['unpublish', 'archive', 'withdraw'],
  archived: ['publish', 'withdraw'],
  withdrawn: [],
}
const RESULT: Record<Move, State> = { publish: 'published', unpublish: 'draft', archive: 'archived', withdraw: 'withdrawn' }
const PAYLOAD: Record<Move, object | undefined> = { publish: undefined, unpublish: undefined, archive: undefined, withdraw: { reason: 'Legal' } }
const LATER = '2026-01-15T15:00:00.000Z' // three hours after the test clock starts

const move = (h: Harness, id: string, m: string, payload?: object, headers: Headers = {}) =>
  h.app.inject({ method: 'POST', url: `/v1/articles/${id}/${m}`, headers: { ...h.auth.write, ...headers }, ...(payload ? { payload } : {}) })
const patch = (h: Harness, id: string, payload: object, headers: Headers = {}) =>
  h.app.inject({ method: 'PATCH', url: `/v1/articles/${id}`, headers: { ...h.auth.write, ...headers }, payload })
const current = async (h: Harness, id: string) => (await get(h, `/v1/articles/${id}`, h.auth.write)).json()

/** A fresh article in the given state, reached through the API. */
async function inState(h: Harness, state: State) {
  if (state === 'draft') return createArticle(h)
  if (state === 'scheduled') return createPublished(h, { publishedAt: LATER })
  const a = await createPublished(h)
  if (state === 'published') return a
  const res = await move(h, a.id, state === 'archived' ? 'archive' : 'withdraw', state === 'withdrawn' ? { reason: 'Legal' } : undefined)
  if (res.statusCode !== 200) throw new Error(`${state}: ${res.statusCode} ${res.body}`)
  return res.json()
}

async function refused(t: Test, h: Harness, res: Awaited<ReturnType<typeof move>>, before: { id: string; version: number }, state: State) {
  t.equal(res.statusCode, 409, 'refused')
  t.match(res.headers['content-type'], /^application\/problem\+json/)
  t.match(res.json(), { type: String, title: String, status: 409, detail: String })
  t.same(res.json().allowedTransitions, ALLOWED[state], `lists what ${state} allows`)
  const after = await current(h, before.id)
  t.equal(after.version, before.version, 'version unchanged')
  t.equal(after.status, state, 'state unchanged')
}

for (const state of STATES) {
  t.test(`from ${state}: ${ALLOWED[state].join(', ') || 'nothing'} allowed, every other move a 409`, async (t) => {
    const h = await build(t)
    for (const m of MOVES) {
      const before = await inState(h, state)
      t.equal(before.status, state)
      const res = await move(h, before.id, m, PAYLOAD[m])
      if (!ALLOWED[state].includes(m)) {
        await refused(t, h, res, before, state)
        continue
      }
      t.equal(res.statusCode, 200, `${state} -> ${m}`)
      t.equal(res.json().status, RESULT[m])
      t.equal(res.json().version, before.version + 1)
      t.equal(res.headers.etag, `"v${before.version + 1}"`)
      t.equal((await current(h, before.id)).status, RESULT[m], 'stored')
    }
  })
}

t.test('PATCH status makes the same moves with the same rules', async (t) => {
  const h = await build(t)
  const cases: [State, string, number | State][] = [
    ['draft', 'archived', 409], ['draft', 'published', 'published'],
    ['scheduled', 'archived', 409], ['scheduled', 'draft', 'draft'], ['scheduled', 'published', 'published'],
    ['published', 'draft', 'draft'], ['published', 'archived', 'archived'],
    ['archived', 'draft', 409], ['archived', 'published', 'published'],
    ['withdrawn', 'draft', 409], ['withdrawn', 'published', 409], ['withdrawn', 'archived', 409],
  ]
  for (const [state, status, expected] of cases) {
    const before = await inState(h, state)
    const res = await patch(h, before.id, { status })
    if (expected === 409) await refused(t, h, res, before, state)
    else {
      t.equal(res.statusCode, 200, `${state} -> ${status}`)
      t.equal(res.json().status, expected, `${state} -> ${status}`)
      t.equal(res.json().version, before.version + 1)
    }
  }
  const scheduled = await inState(h, 'scheduled')
  const now = (await patch(h, scheduled.id, { status: 'published' })).json()
  t.equal(now.publishedAt, new Date(h.clock.now).toISOString(), 'a scheduled article PATCHed to published goes live now')
})

t.test('PATCH publishedAt cannot move a published article into the future: published -> scheduled is no move', async (t) => {
  const h = await build(t)
  const a = await createPublished(h)
  await refused(t, h, await patch(h, a.id, { publishedAt: LATER }), a, 'published')
  t.equal((await get(h, `/v1/articles/${a.id}`)).statusCode, 200, 'still public')
  t.equal((await patch(h, a.id, { publishedAt: '2015-07-23T14:41:00.000Z' })).statusCode, 200, 'a past time is an edit')
  const scheduled = await inState(h, 'scheduled')
  const later = await patch(h, scheduled.id, { publishedAt: '2026-02-01T00:00:00.000Z' })
  t.match(later.json(), { status: 'scheduled', publishedAt: '2026-02-01T00:00:00.000Z' }, 'a scheduled one can take another time')
})

t.test('PATCH status withdrawn is a 422 pointing at /status, and changes nothing', async (t) => {
  const h = await build(t)
  const a = await createPublished(h)
  const res = await patch(h, a.id, { status: 'withdrawn' })
  t.equal(res.statusCode, 422)
  t.match(res.headers['content-type'], /^application\/problem\+json/)
  t.same(res.json().errors.map((e: { in: string; pointer: string }) => [e.in, e.pointer]), [['body', '/status']])
  t.match(await current(h, a.id), { status: 'published', version: 1 })
})

t.test('publish with a future `at` schedules; a past one publishes at that time; no `at` goes live now', async (t) => {
  const h = await build(t)
  const a = await createArticle(h)
  const scheduled = await move(h, a.id, 'publish', { at: LATER })
  t.equal(scheduled.statusCode, 200)
  t.match(scheduled.json(), { status: 'scheduled', publishedAt: LATER })
  const later = (await move(h, a.id, 'publish', { at: '2026-02-01T00:00:00.000Z' })).json()
  t.match(later, { status: 'scheduled', publishedAt: '2026-02-01T00:00:00.000Z' }, 'another time')
  t.match((await move(h, a.id, 'publish')).json(), { status: 'published', publishedAt: '2026-01-15T12:00:00.000Z' }, 'now')
  const b = await createArticle(h)
  t.match((await move(h, b.id, 'publish', { at: '2015-07-23T14:41:00.000Z' })).json(), { status: 'published', publishedAt: '2015-07-23T14:41:00.000Z' })
  t.equal((await move(h, b.id, 'publish', { at: 'tomorrow' })).statusCode, 400, 'a bad time is a 400')
})

/** Everything an anonymous (or keyed) reader can see of `hidden`, on every read path. */
async function sightings(h: Harness, hidden: { id: string; slug: string }, anchor: { id: string }, headers: Headers = {}) {
  const json = async (url: string) => (await get(h, url, headers)).json()
  const list = await json('/v1/articles?count=true&facets=tag,source')
  const tagCounts = (await json('/v1/tags?withCounts=true')).data
  const sourceCounts = (await json('/v1/sources?withCounts=true')).data
  return {
    byId: (await get(h, `/v1/articles/${hidden.id}`, headers)).statusCode,
    bySlug: (await get(h, `/v1/articles/${hidden.slug}`, headers)).statusCode,
    inList: list.data.some((a: { id: string }) => a.id === hidden.id),
    inSearch: (await json('/v1/articles?q=quokka')).data.some((a: { id: string }) => a.id === hidden.id),
    total: list.meta.total,
    tagFacet: list.meta.facets.tag.find((f: { slug: string }) => f.slug === 'ukraine')?.count ?? 0,
    sourceFacet: list.meta.facets.source.find((f: { slug: string }) => f.slug === 'bbc')?.count ?? 0,
    tagCount: tagCounts.find((x: { slug: string }) => x.slug === 'ukraine').articleCount,
    sourceCount: sourceCounts.find((x: { slug: string }) => x.slug === 'bbc').articleCount,
    inRelated: (await json(`/v1/articles/${anchor.id}/related`)).data.some((a: { id: string }) => a.id === hidden.id),
  }
}
const HIDDEN = { byId: 404, bySlug: 404, inList: false, inSearch: false, total: 1, tagFacet: 1, sourceFacet: 1, tagCount: 1, sourceCount: 1, inRelated: false }
const SHOWN = { byId: 200, bySlug: 200, inList: true, inSearch: true, total: 2, tagFacet: 2, sourceFacet: 2, tagCount: 2, sourceCount: 2, inRelated: true }

const timed = {
  scheduled: { status: 'published', publishedAt: LATER },
  embargoed: { status: 'published', embargoedUntil: LATER },
  'scheduled by POST publish': {},
}
for (const [kind, fields] of Object.entries(timed)) {
  t.test(`a ${kind} article is hidden from anonymous readers on every path until its time, by the clock alone`, async (t) => {
    const h = await build(t)
    await createTags(h, 'ukraine')
    await createSources(h, 'bbc')
    const anchor = await createPublished(h, { headline: 'Quokka census opens', tags: ['ukraine'], source: 'bbc' })
    const hidden = await createArticle(h, { headline: 'Quokka census results', tags: ['ukraine'], source: 'bbc', ...fields })
    if (kind === 'scheduled by POST publish') t.equal((await move(h, hidden.id, 'publish', { at: LATER })).json().status, 'scheduled')
    const version = (await current(h, hidden.id)).version
    for (const headers of [{}, h.auth.read]) t.same(await sightings(h, hidden, anchor, headers), HIDDEN, 'before its time')
    h.clock.now = Date.parse(LATER) - 1
    t.same(await sightings(h, hidden, anchor), HIDDEN, 'a millisecond before')
    h.clock.now = Date.parse(LATER)
    t.same(await sightings(h, hidden, anchor), SHOWN, 'from its time on, with no write in between')
    t.equal((await get(h, `/v1/articles/${hidden.id}`)).json().status, 'published')
    t.equal((await current(h, hidden.id)).version, version, 'nothing was written')
  })
}

t.test('keyed (write) readers see scheduled and embargoed articles throughout', async (t) => {
  const h = await build(t)
  await createTags(h, 'ukraine')
  await createSources(h, 'bbc')
  const anchor = await createPublished(h, { headline: 'Quokka census opens', tags: ['ukraine'], source: 'bbc' })
  const embargoed = await createPublished(h, { headline: 'Quokka census results', tags: ['ukraine'], source: 'bbc', embargoedUntil: LATER })
  t.same(await sightings(h, embargoed, anchor, h.auth.write), SHOWN, 'embargoed: on every path')
  const scheduled = await createPublished(h, { headline: 'Quokka census closes', publishedAt: LATER })
  for (const url of [`/v1/articles/${scheduled.id}`, `/v1/articles/${scheduled.slug}`]) {
    const res = await get(h, url, h.auth.write)
    t.equal(res.statusCode, 200)
    t.equal(res.json().status, 'scheduled')
  }
  const list = (await get(h, '/v1/articles?status=scheduled&q=quokka&count=true', h.auth.write)).json()
  t.same(list.data.map((a: { id: string }) => a.id), [scheduled.id], 'status=scheduled lists it, with search')
  t.equal(list.meta.total, 1)
  h.clock.now = Date.parse(LATER)
  t.same((await get(h, '/v1/articles?status=scheduled', h.auth.write)).json().data, [], 'no longer scheduled once its time came')
})

t.test('status=scheduled needs a write key: 401 anonymously, 403 with a read key', async (t) => {
  const h = await build(t)
  const scheduled = await createPublished(h, { publishedAt: LATER })
  await createPublished(h)
  const res = await get(h, '/v1/articles?status=scheduled', h.auth.write)
  t.equal(res.statusCode, 200)
  t.same(res.json().data.map((a: { id: string; status: string }) => [a.id, a.status]), [[scheduled.id, 'scheduled']])
  const anonymous = await get(h, '/v1/articles?status=scheduled')
  t.equal(anonymous.statusCode, 401)
  t.match(anonymous.headers['www-authenticate'], /^Bearer/)
  t.equal((await get(h, '/v1/articles?status=scheduled', h.auth.read)).statusCode, 403)
})

t.test('withdrawn: anonymous readers get a 410 problem with the reason and the time; keyed readers the article', async (t) => {
  const h = await build(t)
  const a = await createPublished(h)
  t.equal((await move(h, a.id, 'withdraw', {})).statusCode, 400, 'a reason is required')
  h.clock.now = Date.parse(LATER)
  const withdrawn = await move(h, a.id, 'withdraw', { reason: 'The source recanted.' })
  t.match(withdrawn.json(), { status: 'withdrawn', withdrawalReason: 'The source recanted.', withdrawnAt: LATER, version: 2 })
  for (const url of [`/v1/articles/${a.id}`, `/v1/articles/${a.slug}`]) {
    const res = await get(h, url)
    t.equal(res.statusCode, 410)
    t.match(res.headers['content-type'], /^application\/problem\+json/)
    t.match(res.json(), { status: 410, type: String, title: String, detail: String, reason: 'The source recanted.', withdrawnAt: LATER })
  }
  t.equal((await get(h, `/v1/articles/${a.id}`, h.auth.write)).statusCode, 200)
  t.same((await get(h, '/v1/articles')).json().data, [], 'out of the public list')
})

t.test('corrections: 201, appended in order with their time, a new version and ETag, public', async (t) => {
  const h = await build(t)
  const a = await createPublished(h)
  const first = await move(h, a.id, 'corrections', { text: 'An earlier version misspelt the minister’s name.' })
  t.equal(first.statusCode, 201)
  t.equal(first.headers.location, `/v1/articles/${a.id}`)
  t.equal(first.json().version, 2)
  t.equal(first.headers.etag, '"v2"')
  h.clock.now = Date.parse(LATER)
  const second = await move(h, a.id, 'corrections', { text: 'The vote was on Tuesday.' })
  const expected = [
    { at: '2026-01-15T12:00:00.000Z', text: 'An earlier version misspelt the minister’s name.' },
    { at: LATER, text: 'The vote was on Tuesday.' },
  ]
  t.same(second.json().corrections, expected)
  t.equal(second.headers.etag, '"v3"')
  const publicly = await get(h, `/v1/articles/${a.id}`)
  t.same(publicly.json().corrections, expected, 'anonymous readers see them')
  t.equal(publicly.headers.etag, '"v3"', 'and caches see the story changed')
  t.equal((await move(h, a.id, 'corrections', { text: '' })).statusCode, 400)
  const anonymous = await h.app.inject({ method: 'POST', url: `/v1/articles/${a.id}/corrections`, payload: { text: 'x' } })
  t.equal(anonymous.statusCode, 401)
})

t.test('If-Match on every transition and corrections: stale is a 412 with currentVersion, current goes through', async (t) => {
  const h = await build(t)
  const cases: [State, string, object | undefined][] = [
    ['draft', 'publish', undefined], ['published', 'unpublish', undefined], ['published', 'archive', undefined],
    ['published', 'withdraw', { reason: 'Legal' }], ['published', 'corrections', { text: 'Fixed.' }],
  ]
  for (const [state, m, payload] of cases) {
    const a = await inState(h, state)
    const stale = await move(h, a.id, m, payload, { 'if-match': '"v0"' })
    t.equal(stale.statusCode, 412, `${m}: stale`)
    t.match(stale.json(), { status: 412, currentVersion: a.version })
    t.equal((await current(h, a.id)).version, a.version, `${m}: nothing changed`)
    const ok = await move(h, a.id, m, payload, { 'if-match': `"v${a.version}"` })
    t.equal(ok.statusCode, m === 'corrections' ? 201 : 200, `${m}: current`)
    t.equal(ok.json().version, a.version + 1)
  }
})

t.test('REQUIRE_IF_MATCH: changes without If-Match are a 428, with it they go through; reads and creates are unaffected', async (t) => {
  const h = await build(t, { config: { requireIfMatch: true } })
  const a = await createArticle(h, { headline: 'Created without If-Match' })
  t.equal((await get(h, `/v1/articles/${a.id}`, h.auth.write)).statusCode, 200)
  const steps: [string, string, object | undefined, number][] = [
    ['PATCH', '', { headline: 'Edited' }, 200],
    ['POST', '/publish', undefined, 200],
    ['POST', '/corrections', { text: 'Fixed.' }, 201],
    ['POST', '/archive', undefined, 200],
    ['POST', '/publish', undefined, 200],
    ['POST', '/unpublish', undefined, 200],
    ['POST', '/publish', undefined, 200],
    ['POST', '/revisions/1/restore', undefined, 200],
    ['DELETE', '', undefined, 204],
    ['POST', '/restore', undefined, 200],
    ['POST', '/withdraw', { reason: 'Legal' }, 200],
  ]
  let version = 1
  for (const [method, path, payload, status] of steps) {
    const request = { method: method as 'POST', url: `/v1/articles/${a.id}${path}`, ...(payload ? { payload } : {}) }
    const without = await h.app.inject({ ...request, headers: h.auth.write })
    t.equal(without.statusCode, 428, `${method} ${path}: 428 without If-Match`)
    t.match(without.headers['content-type'], /^application\/problem\+json/)
    t.same(without.json().errors, [{ in: 'headers', pointer: '/if-match', message: 'is required' }])
    const withIt = await h.app.inject({ ...request, headers: { ...h.auth.write, 'if-match': `"v${version}"` } })
    t.equal(withIt.statusCode, status, `${method} ${path}: goes through with If-Match`)
    version += 1
  }
  t.equal((await current(h, a.id)).version, version, 'each change was made once')
})
