import t, { type Test } from 'tap'
import { createArticlesService } from '../src/modules/articles/articles.service.js'
import { createBulkService } from '../src/modules/bulk/bulk.service.js'
import { createPublished } from './factories.js'
import { build, type Harness } from './helper.js'
import { ids } from './reading.js'

// How an import writes its batches. It indexes its articles for search a batch at a time, not
// row by row (migration 0008, src/db/search.ts): after every kind of import the index must hold
// exactly what the articles table holds, and writes outside an import must still be indexed at
// once. And it checkpoints the WAL less often while it runs, then puts the interval back.

const ndjson = (...lines: object[]) => lines.map((l) => JSON.stringify(l)).join('\n') + '\n'
const importing = (h: Harness, body: string, query = '') =>
  h.app.inject({ method: 'POST', url: `/v1/import${query}`, headers: { ...h.auth.write, 'content-type': 'application/x-ndjson' }, payload: body })
const search = (h: Harness, q: string) => ids(h, `/v1/articles?q=${encodeURIComponent(q)}`, h.auth.write)
const idOf = (h: Harness, externalId: string) =>
  (h.db.$client.prepare('select id from articles where external_id = ?').get(externalId) as { id: string }).id

/** FTS5's own check that the index holds exactly what the articles table holds, and no import left work behind. */
function indexInStep(t: Test, h: Harness) {
  t.doesNotThrow(() => h.db.$client.prepare(`INSERT INTO articles_fts(articles_fts, rank) VALUES ('integrity-check', 1)`).run(), 'index in step')
  const left = h.db.$client.prepare('select (select count(*) from articles_fts_deferred) + (select count(*) from articles_fts_pending) as n').get()
  t.same(left, { n: 0 }, 'no deferral left behind')
}

t.test('an imported article is found by a word of its body; an updated one by its new word and not the old', async (t) => {
  const h = await build(t)
  const first = ndjson(
    { externalId: 'x-1', headline: 'Harbour report', body: 'A narwhal was seen in the harbour.', status: 'published' },
    { externalId: 'x-2', headline: 'Zoo report', body: 'The okapi is doing well.', status: 'published' },
  )
  t.same((await importing(h, first)).json().summary.created, 2)
  t.same(await search(h, 'narwhal'), [idOf(h, 'x-1')])
  t.same(await search(h, 'okapi'), [idOf(h, 'x-2')])
  indexInStep(t, h)

  const second = ndjson(
    { externalId: 'x-1', headline: 'Harbour report', body: 'A walrus was seen in the harbour.', status: 'published' },
    { externalId: 'x-2', headline: 'Zoo report', body: 'The okapi is doing well.', byline: 'New byline', status: 'published' },
  )
  t.same((await importing(h, second)).json().summary.updated, 2)
  t.same(await search(h, 'walrus'), [idOf(h, 'x-1')], 'found by its new word')
  t.same(await search(h, 'narwhal'), [], 'not by the old one')
  t.same(await search(h, 'okapi'), [idOf(h, 'x-2')], 'an edit of other columns leaves it indexed')
  indexInStep(t, h)
})

t.test('one batch that creates and re-edits an article, and edits twice one the index already held', async (t) => {
  const h = await build(t)
  const held = await createPublished(h, { externalId: 'api-1', headline: 'Held', body: 'The ibex climbs.' })
  t.same(await search(h, 'ibex'), [held.id], 'an API write is indexed at once')
  const file = ndjson(
    { externalId: 'n-1', headline: 'New', body: 'First draft about a heron.', status: 'published' },
    { externalId: 'n-1', headline: 'New', body: 'Second draft about a stork.', status: 'published' },
    { externalId: 'api-1', headline: 'Held', body: 'The lynx climbs.' },
    { externalId: 'api-1', headline: 'Held again', body: 'The lynx climbs.' },
  )
  t.same((await importing(h, file)).json().summary, { lines: 4, created: 1, updated: 3, unchanged: 0, failed: 0 })
  t.same(await search(h, 'heron'), [])
  t.same(await search(h, 'stork'), [idOf(h, 'n-1')])
  t.same(await search(h, 'ibex'), [])
  t.same(await search(h, 'lynx'), [held.id])
  t.same(await search(h, 'again'), [held.id], 'the last headline')
  indexInStep(t, h)

  const after = await createPublished(h, { headline: 'After the import', body: 'A puffin lands.' })
  t.same(await search(h, 'puffin'), [after.id], 'writes after an import are indexed at once again')
  indexInStep(t, h)
})

t.test('a failed line, an atomic rollback and a dry run leave nothing of theirs in the index', async (t) => {
  const h = await build(t)
  const bad = { externalId: 'bad', headline: 'Bad', body: 'A kestrel hovers.', tags: ['no-such-tag'], status: 'published' }
  const good = { externalId: 'good', headline: 'Good', body: 'A kestrel dives.', status: 'published' }
  t.equal((await importing(h, ndjson(good, bad), '?atomic=true')).statusCode, 422)
  t.same(await search(h, 'kestrel'), [], 'atomic: nothing')
  t.same((await importing(h, ndjson(good), '?dryRun=true')).json().summary.created, 1)
  t.same(await search(h, 'kestrel'), [], 'dry run: nothing')
  indexInStep(t, h)

  t.same((await importing(h, ndjson(bad, good))).json().summary, { lines: 2, created: 1, updated: 0, unchanged: 0, failed: 1 })
  t.same(await search(h, 'kestrel'), [idOf(h, 'good')], 'only the line that was written')
  t.same(await search(h, 'hovers'), [])
  indexInStep(t, h)
})

t.test('an edit that leaves the indexed text as it was keeps the index as it was', async (t) => {
  const h = await build(t)
  const a = await createPublished(h, { headline: 'Gannet colony', body: 'Gannets nest here.' })
  const res = await h.app.inject({ method: 'PATCH', url: `/v1/articles/${a.id}`, headers: h.auth.write, payload: { bodyFormat: 'markdown' } })
  t.equal(res.statusCode, 200)
  t.same(await search(h, 'gannet'), [a.id])
  indexInStep(t, h)
})

t.test('the checkpoint interval is raised while an import runs and put back after it, whatever happened', async (t) => {
  const h = await build(t)
  const interval = () => h.db.$client.pragma('wal_autocheckpoint', { simple: true })
  t.equal(interval(), 1000)
  const deps = { db: h.db, clock: h.clock, config: h.config }
  const bulk = createBulkService(deps, createArticlesService(deps))
  let during: unknown
  async function* lines() {
    yield { line: 1, text: JSON.stringify({ headline: 'A', body: 'B' }) }
    during = interval()
  }
  t.same((await bulk.importLines(lines(), { actor: 'test', createMissing: false, atomic: false, dryRun: false })).summary.created, 1)
  t.equal(during, 10_000, 'during an import')
  t.equal(interval(), 1000, 'after it')
  t.equal((await importing(h, ndjson({ headline: 'A', body: 'B' }))).statusCode, 200)
  t.equal(interval(), 1000, 'after an import')
  t.equal((await importing(h, ndjson({ headline: 'A', body: 'B' }, { headline: 'C' }), '?atomic=true')).statusCode, 400)
  t.equal(interval(), 1000, 'after an import that failed')
})
