import { writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import t from 'tap'
import { runCli } from '../src/cli/commands.js'
import { readLines } from '../src/modules/bulk/ndjson.js'
import { createPublished, createSources, createTags, seedArticleParts } from './factories.js'
import { build, type Harness } from './helper.js'

// POST /v1/import and `cli import` (issue 6): upserts by externalId or slug, per-line results.

const ndjson = (...lines: (object | string)[]) => lines.map((l) => (typeof l === 'string' ? l : JSON.stringify(l))).join('\n') + '\n'

const importing = (h: Harness, body: string, query = '', headers: Record<string, string> = h.auth.write) =>
  h.app.inject({ method: 'POST', url: `/v1/import${query}`, headers: { ...headers, 'content-type': 'application/x-ndjson' }, payload: body })

const article = async (h: Harness, idOrSlug: string) => (await h.app.inject({ method: 'GET', url: `/v1/articles/${idOrSlug}`, headers: h.auth.write })).json()
const exported = async (h: Harness) => (await h.app.inject({ method: 'GET', url: '/v1/export', headers: h.auth.write })).body
const count = (h: Harness, table: string) => (h.db.$client.prepare(`select count(*) as n from ${table}`).get() as { n: number }).n

t.test('externalId: a new optional unique field on create, patch and output', async (t) => {
  const h = await build(t)
  const a = await createPublished(h, { externalId: 'afp-1' })
  t.equal(a.externalId, 'afp-1')
  t.equal((await createPublished(h)).externalId, null, 'null when not given')
  const taken = await h.app.inject({ method: 'POST', url: '/v1/articles', headers: h.auth.write, payload: { headline: 'H', body: 'B', externalId: 'afp-1' } })
  t.equal(taken.statusCode, 409)
  t.same(taken.json().errors, [{ in: 'body', pointer: '/externalId', message: 'is already taken' }])
  const b = await createPublished(h, { externalId: 'afp-2' })
  const patch = (id: string, externalId: string | null) =>
    h.app.inject({ method: 'PATCH', url: `/v1/articles/${id}`, headers: h.auth.write, payload: { externalId } })
  t.equal((await patch(b.id, 'afp-1')).statusCode, 409)
  t.equal((await patch(b.id, null)).json().externalId, null, 'null clears it')
  t.equal((await patch(a.id, 'afp-1')).json().version, a.version, 'setting the same value is no change')
})

t.test('upserts by externalId, else by slug, else creates; unchanged lines make no new version', async (t) => {
  const h = await build(t)
  const first = await importing(h, ndjson(
    { externalId: 'x-1', headline: 'One', body: 'First body.' },
    { slug: 'two', headline: 'Two', body: 'Second body.', status: 'published', publishedAt: '2015-07-23T14:41:00Z' },
    { headline: 'Three', body: 'No key at all.' },
  ))
  t.equal(first.statusCode, 200)
  t.same(first.json().summary, { lines: 3, created: 3, updated: 0, unchanged: 0, failed: 0 })
  const [one, two] = first.json().results
  t.same(first.json().results.map((r: { line: number; status: string }) => [r.line, r.status]), [[1, 'created'], [2, 'created'], [3, 'created']])

  const second = await importing(h, ndjson(
    { externalId: 'x-1', headline: 'One, revised', body: 'First body.', slug: 'one-revised' },
    { slug: 'two', headline: 'Two', body: 'Second body.', status: 'published', publishedAt: '2015-07-23T14:41:00Z' },
  ))
  t.same(second.json().results, [
    { line: 1, status: 'updated', id: one.id },
    { line: 2, status: 'unchanged', id: two.id },
  ])
  const revised = await article(h, one.id)
  t.equal(revised.headline, 'One, revised')
  t.equal(revised.slug, 'one-revised', 'matched by externalId, so the slug can change')
  t.equal(revised.version, 2)
  t.equal((await article(h, 'two')).version, 1, 'an unchanged line makes no new version')

  // A slug match without an externalId of its own adopts the line's externalId.
  const adopted = await importing(h, ndjson({ slug: 'two', externalId: 'x-2', headline: 'Two', body: 'Second body.' }))
  t.same(adopted.json().results, [{ line: 1, status: 'updated', id: two.id }])
  t.equal((await article(h, 'two')).externalId, 'x-2')
})

t.test('re-running the same file changes nothing: no versions, no revisions', async (t) => {
  const h = await build(t)
  await createTags(h, 'syria')
  const file = ndjson(
    { externalId: 'a', headline: 'A', body: 'Alpha.', tags: ['syria'], status: 'published' },
    { externalId: 'b', headline: 'B', body: 'Beta.', status: 'archived', publishedAt: '2020-01-01T00:00:00Z' },
    { externalId: 'c', headline: 'C', body: 'Gamma.', status: 'withdrawn', withdrawalReason: 'Legal' },
    { slug: 'd', headline: 'D', body: 'Delta.', status: 'published', publishedAt: '2026-02-01T00:00:00Z' },
  )
  t.equal((await importing(h, file)).json().summary.created, 4)
  const before = await exported(h)
  const revisions = count(h, 'article_revisions')
  const again = await importing(h, file)
  t.same(again.json().summary, { lines: 4, created: 0, updated: 0, unchanged: 4, failed: 0 })
  t.equal(await exported(h), before, 'every article exactly as it was')
  t.equal(count(h, 'article_revisions'), revisions)
  t.same((await article(h, 'd')).status, 'scheduled')
})

t.test('export -> import into a fresh app: every article field by field, the seed article byte for byte', async (t) => {
  const source = await build(t)
  await createSources(source, 'xinhua')
  await createTags(source, 'syria', 'isil')
  const seed = seedArticleParts()
  const seedArticle = await createPublished(source, {
    headline: seed.headline, body: seed.body, byline: seed.byline, image: { caption: seed.caption, credit: 'Xinhua' },
    source: 'xinhua', tags: ['syria', 'isil'], publishedAt: seed.publishedAt, externalId: 'tbp-1',
  })
  await createPublished(source, { bodyFormat: 'markdown', body: '## Talks\n\n*Envoys* met.', summary: 'Standfirst', language: 'fr', dateline: 'PARIS' })
  await createPublished(source, { headline: 'Later', publishedAt: '2026-03-01T00:00:00.000Z', embargoedUntil: '2026-04-01T00:00:00.000Z', canonicalUrl: 'https://example.com/a' })
  const draft = await createPublished(source, { headline: 'Draft', status: 'draft', tags: ['isil'] })
  const archived = await createPublished(source, { headline: 'Archived' })
  await source.app.inject({ method: 'POST', url: `/v1/articles/${archived.id}/archive`, headers: source.auth.write })
  const withdrawn = await createPublished(source, { headline: 'Withdrawn' })
  await source.app.inject({ method: 'POST', url: `/v1/articles/${withdrawn.id}/withdraw`, headers: source.auth.write, payload: { reason: 'Legal' } })
  t.ok(draft && seedArticle)

  const file = await exported(source)
  const target = await build(t)
  const res = await importing(target, file, '?createMissing=true')
  t.same(res.json().summary, { lines: 6, created: 6, updated: 0, unchanged: 0, failed: 0 })

  const before = file.trimEnd().split('\n').map((line) => JSON.parse(line))
  const after = (await exported(target)).trimEnd().split('\n').map((line) => JSON.parse(line))
  const server = ['id', 'version', 'createdAt', 'updatedAt', 'corrections']
  const comparable = (a: any) => ({
    ...Object.fromEntries(Object.entries(a).filter(([key]) => !server.includes(key))),
    source: a.source && { slug: a.source.slug, name: a.source.name },
    tags: a.tags.map(({ slug, name, kind }: any) => ({ slug, name, kind })),
  })
  t.equal(after.length, before.length)
  before.forEach((a, i) => t.same(comparable(after[i]), comparable(a), `${a.slug} survives the round trip`))
  const copy = after.find((a) => a.externalId === 'tbp-1')
  t.equal(Buffer.compare(Buffer.from(copy.body, 'utf8'), Buffer.from(seed.body, 'utf8')), 0, 'the seed body, byte for byte')
  t.equal(copy.image.caption, seed.caption)

  const again = await importing(target, await exported(target))
  t.same(again.json().summary, { lines: 6, created: 0, updated: 0, unchanged: 6, failed: 0 }, 'its own export re-imports as unchanged')
})

t.test('createMissing makes tags and sources from slugs or embedded objects; without it they fail the line', async (t) => {
  const h = await build(t)
  const line = { headline: 'H', body: 'B', tags: ['middle-east', { id: 'tag_x', slug: 'un', name: 'United Nations', kind: 'organisation' }], source: 'reuters' }
  const refused = await importing(h, ndjson(line, { headline: 'Fine', body: 'Good line.' }))
  t.equal(refused.statusCode, 200, 'bad lines do not stop good ones')
  const [failed, fine] = refused.json().results
  t.equal(fine.status, 'created')
  t.match(failed, { line: 1, status: 'failed', problem: { type: '/problems/unprocessable', status: 422 } })
  t.same(failed.problem.errors, [
    { in: 'body', pointer: '/source', message: 'there is no source "reuters"' },
    { in: 'body', pointer: '/tags/0', message: 'there is no tag "middle-east"' },
    { in: 'body', pointer: '/tags/1', message: 'there is no tag "un"' },
  ])
  t.equal(count(h, 'tags'), 0)

  const created = await importing(h, ndjson(line), '?createMissing=true')
  const a = await article(h, created.json().results[0].id)
  t.same(a.tags.map(({ slug, name, kind }: any) => [slug, name, kind]), [['middle-east', 'Middle East', 'subject'], ['un', 'United Nations', 'organisation']])
  t.match(a.source, { slug: 'reuters', name: 'Reuters' })
})

t.test('bad lines fail alone, with a problem and pointers into the line; results are numbered from 1', async (t) => {
  const h = await build(t)
  await createPublished(h, { slug: 'taken', externalId: 'other' })
  const res = await importing(h, ndjson(
    { headline: 'Good', body: 'One.' },
    '{"headline": "Broken",',
    '',
    { headline: 'No body', published_at: '2020-01-01' },
    { headline: 'Taken', body: 'x', slug: 'taken', externalId: 'new-one' },
    { headline: 'Withdrawn', body: 'x', status: 'withdrawn' },
  ))
  const results = res.json().results
  t.same(results.map((r: any) => [r.line, r.status]), [[1, 'created'], [2, 'failed'], [4, 'failed'], [5, 'failed'], [6, 'failed']], 'a blank line is skipped but counted')
  t.same(res.json().summary, { lines: 5, created: 1, updated: 0, unchanged: 0, failed: 4 })
  t.match(results[1].problem, { type: '/problems/malformed-body', status: 400, errors: [{ in: 'body', pointer: '' }] })
  t.match(results[1].problem.errors[0].message, /^is not valid JSON/)
  t.same(results[2].problem.errors, [
    { in: 'body', pointer: '/body', message: 'is required' },
    { in: 'body', pointer: '/published_at', message: 'is not a known field' },
  ])
  t.match(results[3].problem, { status: 409, errors: [{ pointer: '/slug', message: 'is already taken' }] }, 'the slug belongs to an article with another externalId')
  t.match(results[4].problem, { status: 422, errors: [{ pointer: '/withdrawalReason' }] })
  t.equal(count(h, 'articles'), 2, 'the good line and the article that was there')
})

t.test('CRLF line ends, a byte order mark and a last line without a newline all read as lines', async (t) => {
  const h = await build(t)
  const body = '\uFEFF' + JSON.stringify({ slug: 'one', headline: 'One', body: 'Ünïcödé “quoted”' }) + '\r\n\r\n' + JSON.stringify({ slug: 'two', headline: 'Two', body: 'B' })
  const res = await importing(h, body)
  t.same(res.json().results.map((r: { line: number; status: string }) => [r.line, r.status]), [[1, 'created'], [3, 'created']])
  t.equal((await article(h, 'one')).body, 'Ünïcödé “quoted”', 'multi-byte UTF-8 intact')

  // Chunks (of a file, of a body) can end inside a character or a line: split at every byte.
  const text = '{"a":"“é”"}\n{"b":1}\r\n\n{"c":"😀"}'
  const expected = [{ line: 1, text: '{"a":"“é”"}' }, { line: 2, text: '{"b":1}' }, { line: 4, text: '{"c":"😀"}' }]
  const bytes = Buffer.from(text)
  const wrong: number[] = []
  for (let cut = 1; cut < bytes.length; cut++) {
    const lines = []
    for await (const line of readLines([bytes.subarray(0, cut), bytes.subarray(cut)])) lines.push(line)
    if (JSON.stringify(lines) !== JSON.stringify(expected)) wrong.push(cut)
  }
  t.same(wrong, [], `the same lines wherever the ${bytes.length} bytes are split`)
})

t.test('atomic=true: one bad line and nothing is written; dryRun=true: everything checked, nothing written', async (t) => {
  const h = await build(t)
  const file = ndjson(
    { externalId: 'a', headline: 'A', body: 'Alpha.', tags: ['new-tag'] },
    { externalId: 'b', headline: 'B', body: 'Beta.', tags: ['nope'], source: { slug: 'afp', name: 'AFP' } },
    { externalId: 'c', headline: 'C' },
  )
  const atomic = await importing(h, file, '?atomic=true&createMissing=true')
  t.equal(atomic.statusCode, 400, 'the status of the line that failed')
  t.equal(atomic.headers['content-type'], 'application/problem+json; charset=utf-8')
  t.match(atomic.json(), { line: 3, detail: /^Line 3: .*Nothing was imported \(atomic=true\)\.$/, results: [{ line: 3, status: 'failed' }] })
  t.equal(count(h, 'articles') + count(h, 'tags') + count(h, 'sources') + count(h, 'article_revisions'), 0, 'nothing written')

  const dry = await importing(h, file, '?dryRun=true&createMissing=true')
  t.equal(dry.statusCode, 200)
  t.same(dry.json().summary, { lines: 3, created: 2, updated: 0, unchanged: 0, failed: 1 })
  t.same(dry.json().results[0], { line: 1, status: 'created' }, 'no id for what a dry run would create')
  t.equal(count(h, 'articles') + count(h, 'tags') + count(h, 'sources'), 0, 'nothing written')

  const good = ndjson({ externalId: 'a', headline: 'A', body: 'Alpha.' }, { externalId: 'b', headline: 'B', body: 'Beta.' })
  t.same((await importing(h, good, '?atomic=true')).json().summary.created, 2, 'an atomic import with no bad line writes it all')
})

t.test('an Idempotency-Key replays the first answer for the same body, and refuses another body', async (t) => {
  const h = await build(t)
  const key = { ...h.auth.write, 'idempotency-key': 'import-1' }
  const first = await importing(h, ndjson({ headline: 'A', body: 'B' }), '', key)
  const replay = await importing(h, ndjson({ headline: 'A', body: 'B' }), '', key)
  t.equal(replay.headers['idempotent-replayed'], 'true')
  t.equal(replay.body, first.body, 'the first answer, and no second article')
  t.equal(count(h, 'articles'), 1)
  t.equal((await importing(h, ndjson({ headline: 'C', body: 'D' }), '', key)).statusCode, 422, 'the same key with another body')
})

t.test('only write keys import, and only NDJSON', async (t) => {
  const h = await build(t)
  const line = ndjson({ headline: 'A', body: 'B' })
  t.equal((await importing(h, line, '', {})).statusCode, 401)
  t.equal((await importing(h, line, '', h.auth.read)).statusCode, 403)
  const json = await h.app.inject({ method: 'POST', url: '/v1/import', headers: h.auth.write, payload: { headline: 'A', body: 'B' } })
  t.equal(json.statusCode, 415)
  t.equal(json.headers['content-type'], 'application/problem+json; charset=utf-8')
  t.equal(count(h, 'articles'), 0)
})

t.test('cli import: the file into DATABASE_PATH, a summary, exit 1 when a line fails; no bar off a terminal', async (t) => {
  const h = await build(t)
  const file = join(dirname(h.config.databasePath), 'articles.ndjson')
  writeFileSync(file, ndjson({ externalId: 'c-1', headline: 'From the CLI', body: 'Body.', tags: ['cli'] }, { headline: 'Bad' }))
  const out: string[] = []
  const err: string[] = []
  const run = (...args: string[]) => runCli(['import', file, ...args], { env: { DATABASE_PATH: h.config.databasePath }, out: (l) => out.push(l), err: (l) => err.push(l) })

  t.equal(await run('--create-missing'), 1, 'a failed line: exit code 1')
  t.match(out.join('\n'), /^Imported .*articles\.ndjson, 2 lines: 1 created, 0 updated, 0 unchanged, 1 failed \(in [\d.]+ s, [\d,]+ lines\/s\)\.$/)
  t.same(err, ['line 2: 400 /body is required'])
  t.notMatch([...out, ...err].join(''), /\u001b\[/, 'no terminal escape codes when output is not a terminal')
  const imported = await article(h, (h.db.$client.prepare(`select id from articles where external_id = 'c-1'`).get() as { id: string }).id)
  t.equal(imported.headline, 'From the CLI')
  t.same(imported.tags.map((tag: { slug: string }) => tag.slug), ['cli'])

  writeFileSync(file, ndjson({ externalId: 'c-1', headline: 'From the CLI', body: 'Body.', tags: ['cli'] }))
  out.length = 0
  t.equal(await run(), 0)
  t.match(out[0], /1 lines: 0 created, 0 updated, 1 unchanged, 0 failed/)
  t.equal(await runCli(['import'], { env: {}, out: () => {}, err: (l) => err.push(l) }), 2, 'no file: a usage error')
})
