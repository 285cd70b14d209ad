import t from 'tap'
import { createArticle, createSources, createTags } from './factories.js'
import { build, type Harness } from './helper.js'
import { get, withCursor, type Headers } from './reading.js'

// Revisions (issue 4): every change stores the full article with who made it; list, get,
// diff, and restore an old version as a new one without rewriting history.

type Article = Record<string, unknown> & { id: string; version: number }
type Part = { op: 'keep' | 'add' | 'remove'; lines: number; value: string }

const send = (h: Harness, method: 'POST' | 'PATCH', url: string, payload?: object, headers: Headers = h.auth.write) =>
  h.app.inject({ method, url, headers, ...(payload ? { payload } : {}) })

/** An article through five versions: create, PATCH, publish, a correction, archive (the last by the admin key). */
async function history(h: Harness) {
  await createTags(h, 'syria', 'russia')
  await createSources(h, 'bbc')
  const versions: Article[] = []
  versions.push(await createArticle(h, { headline: 'First', body: 'One.\n\nTwo.\n\nThree.', tags: ['syria'], source: 'bbc', summary: 'S1' }))
  const id = versions[0]!.id
  const steps: [string, 'POST' | 'PATCH', object | undefined, Headers][] = [
    ['', 'PATCH', { headline: 'Second', body: 'One.\n\nTwo, edited.\n\nThree.', tags: ['russia', 'syria'], summary: null, image: { caption: 'A' } }, h.auth.write],
    ['/publish', 'POST', undefined, h.auth.write],
    ['/corrections', 'POST', { text: 'Fixed a name.' }, h.auth.write],
    ['/archive', 'POST', undefined, h.auth.admin],
  ]
  for (const [path, method, payload, headers] of steps) {
    h.clock.now += 60_000
    const res = await send(h, method, `/v1/articles/${id}${path}`, payload, headers)
    if (res.statusCode >= 300) throw new Error(`${method} ${path}: ${res.statusCode} ${res.body}`)
    versions.push(res.json())
  }
  return { id, versions }
}

const revisions = async (h: Harness, url: string) => {
  const res = await get(h, url, h.auth.write)
  if (res.statusCode !== 200) throw new Error(`${url}: ${res.statusCode} ${res.body}`)
  return res.json()
}

t.test('every change stores a revision: newest first, with its time and the name of the key that made it', async (t) => {
  const h = await build(t)
  const { id, versions } = await history(h)
  t.same(versions.map((v) => v.version), [1, 2, 3, 4, 5])
  const list = await revisions(h, `/v1/articles/${id}/revisions`)
  t.same(
    list.data,
    [5, 4, 3, 2, 1].map((v) => ({
      version: v,
      createdAt: versions[v - 1]!.updatedAt,
      actor: v === 5 ? 'test admin' : 'test write',
    })),
  )
  t.same(list.meta, { limit: 20, nextCursor: null, prevCursor: null })
  const stored = h.db.$client.prepare('SELECT version FROM article_revisions WHERE article_id = ? ORDER BY version').pluck().all(id)
  t.same(stored, [1, 2, 3, 4, 5], 'persisted')
})

t.test('revisions page with cursors, both ways', async (t) => {
  const h = await build(t)
  const { id } = await history(h)
  const url = `/v1/articles/${id}/revisions?limit=2`
  const pages: number[][] = []
  let page = await revisions(h, url)
  pages.push(page.data.map((r: { version: number }) => r.version))
  while (page.meta.nextCursor) {
    page = await revisions(h, withCursor(url, page.meta.nextCursor))
    pages.push(page.data.map((r: { version: number }) => r.version))
  }
  t.same(pages, [[5, 4], [3, 2], [1]])
  const back = await revisions(h, withCursor(url, page.meta.prevCursor))
  t.same(back.data.map((r: { version: number }) => r.version), [3, 2], 'prev goes back a page')
  t.equal((await get(h, withCursor(url, 'nonsense'), h.auth.write)).statusCode, 400, 'a bad cursor is a 400')
})

t.test('GET .../revisions/{v} is the article exactly as it was at that version', async (t) => {
  const h = await build(t)
  const { id, versions } = await history(h)
  for (const article of versions) {
    const revision = await revisions(h, `/v1/articles/${id}/revisions/${article.version}`)
    t.same(revision.article, article, `version ${article.version}`)
    t.equal(revision.version, article.version)
    t.equal(revision.createdAt, article.updatedAt)
  }
  t.equal((await revisions(h, `/v1/articles/${versions[0]!.slug}/revisions/1`)).article.id, id, 'by slug too')
})

t.test('diff lists the changed fields with their values and a line diff of the body', async (t) => {
  const h = await build(t)
  const { id, versions } = await history(h)
  const diff = await revisions(h, `/v1/articles/${id}/revisions/1/diff/2`)
  t.equal(diff.from, 1)
  t.equal(diff.to, 2)
  t.same([...diff.fields].sort(), ['body', 'headline', 'image', 'summary', 'tags'])
  t.same(diff.changes.headline, { from: 'First', to: 'Second' })
  t.same(diff.changes.summary, { from: 'S1', to: null })
  t.same(diff.changes.tags.to.map((tag: { slug: string }) => tag.slug), ['russia', 'syria'])
  const body = diff.body as Part[]
  const text = (ops: string[]) => body.filter((p) => ops.includes(p.op)).map((p) => p.value).join('')
  t.equal(text(['keep', 'remove']), versions[0]!.body, 'keep + remove is the old body')
  t.equal(text(['keep', 'add']), versions[1]!.body, 'keep + add is the new body')
  t.same(body.filter((p) => p.op === 'remove').map((p) => p.value), ['Two.\n'], 'the edited paragraph is removed...')
  t.same(body.filter((p) => p.op === 'add').map((p) => p.value), ['Two, edited.\n'], '...and added')
  const kept = body.filter((p) => p.op === 'keep')
  t.ok(kept.some((p) => p.value.includes('One.')) && kept.some((p) => p.value.includes('Three.')), 'the others are kept')
  t.same(body.map((p) => p.lines), body.map((p) => p.value.split('\n').length - (p.value.endsWith('\n') ? 1 : 0)), 'line counts')

  const status = await revisions(h, `/v1/articles/${id}/revisions/4/diff/5`)
  t.same(status.fields, ['status'], 'archiving changes the status only')
  t.same(status.changes, { status: { from: 'published', to: 'archived' } })
  t.same(status.body, [{ op: 'keep', lines: 5, value: versions[1]!.body }])
  const correction = await revisions(h, `/v1/articles/${id}/revisions/3/diff/4`)
  t.same(correction.fields, ['corrections'])
})

t.test('restore makes a new version equal to the old content; history is never rewritten', async (t) => {
  const h = await build(t)
  const { id, versions } = await history(h)
  const before = await Promise.all([1, 2, 3, 4, 5].map((v) => revisions(h, `/v1/articles/${id}/revisions/${v}`)))
  h.clock.now += 60_000
  const res = await send(h, 'POST', `/v1/articles/${id}/revisions/1/restore`, undefined, h.auth.admin)
  t.equal(res.statusCode, 200)
  t.equal(res.headers.etag, '"v6"')
  const restored = res.json()
  const old = versions[0]!
  t.equal(restored.version, 6)
  for (const field of ['headline', 'slug', 'summary', 'body', 'bodyFormat', 'bodyHtml', 'byline', 'image', 'source', 'tags', 'embargoedUntil']) {
    t.same(restored[field], old[field], `${field} as in version 1`)
  }
  t.equal(restored.status, 'archived', 'the lifecycle state is not restored')
  t.same(restored.corrections, versions[4]!.corrections, 'public corrections stay')
  const after = await Promise.all([1, 2, 3, 4, 5].map((v) => revisions(h, `/v1/articles/${id}/revisions/${v}`)))
  t.same(after, before, 'revisions 1..5 unchanged')
  const list = await revisions(h, `/v1/articles/${id}/revisions`)
  t.same(list.data.map((r: { version: number }) => r.version), [6, 5, 4, 3, 2, 1])
  t.equal(list.data[0].actor, 'test admin')
  t.same((await revisions(h, `/v1/articles/${id}/revisions/6`)).article, restored)
  t.same((await get(h, `/v1/articles/${id}`, h.auth.write)).json(), restored, 'the article is the restored one')
})

t.test('restore honours If-Match, and restoring the current content changes nothing', async (t) => {
  const h = await build(t)
  const { id } = await history(h)
  const stale = await send(h, 'POST', `/v1/articles/${id}/revisions/1/restore`, undefined, { ...h.auth.write, 'if-match': '"v4"' })
  t.equal(stale.statusCode, 412)
  t.equal(stale.json().currentVersion, 5)
  const same = await send(h, 'POST', `/v1/articles/${id}/revisions/5/restore`, undefined, { ...h.auth.write, 'if-match': '"v5"' })
  t.equal(same.statusCode, 200)
  t.equal(same.json().version, 5, 'no new version when nothing differs')
  t.equal(h.db.$client.prepare('SELECT count(*) FROM article_revisions WHERE article_id = ?').pluck().get(id), 5)
})

t.test('revisions need a write key: 401 anonymously, 403 with a read key', async (t) => {
  const h = await build(t)
  const { id } = await history(h)
  const urls: ['GET' | 'POST', string][] = [
    ['GET', `/v1/articles/${id}/revisions`],
    ['GET', `/v1/articles/${id}/revisions/1`],
    ['GET', `/v1/articles/${id}/revisions/1/diff/2`],
    ['POST', `/v1/articles/${id}/revisions/1/restore`],
  ]
  for (const [method, url] of urls) {
    const anonymous = await h.app.inject({ method, url })
    t.equal(anonymous.statusCode, 401, `${method} ${url} anonymously`)
    t.match(anonymous.headers['www-authenticate'], /^Bearer/)
    t.match(anonymous.headers['content-type'], /^application\/problem\+json/)
    t.equal((await h.app.inject({ method, url, headers: h.auth.read })).statusCode, 403, `${method} ${url} with a read key`)
  }
  t.equal((await get(h, `/v1/articles/${id}`, h.auth.write)).json().version, 5, 'nothing restored')
})

t.test('an unknown version or article is a 404; a version that is not a positive number is a 400', async (t) => {
  const h = await build(t)
  const { id } = await history(h)
  for (const [method, url] of [
    ['GET', `/v1/articles/${id}/revisions/6`],
    ['GET', `/v1/articles/${id}/revisions/1/diff/99`],
    ['GET', `/v1/articles/${id}/revisions/99/diff/1`],
    ['POST', `/v1/articles/${id}/revisions/6/restore`],
    ['GET', '/v1/articles/nope/revisions'],
    ['GET', '/v1/articles/nope/revisions/1'],
  ] as const) {
    const res = await h.app.inject({ method, url, headers: h.auth.write })
    t.equal(res.statusCode, 404, `${method} ${url}`)
    t.match(res.headers['content-type'], /^application\/problem\+json/)
  }
  for (const [url, pointer] of [
    [`/v1/articles/${id}/revisions/abc`, '/version'],
    [`/v1/articles/${id}/revisions/0`, '/version'],
    [`/v1/articles/${id}/revisions/1.5`, '/version'],
    [`/v1/articles/${id}/revisions/x/diff/2`, '/a'],
    [`/v1/articles/${id}/revisions/1/diff/y`, '/b'],
  ] as const) {
    const res = await get(h, url, h.auth.write)
    t.equal(res.statusCode, 400, url)
    t.same(res.json().errors.map((e: { in: string; pointer: string }) => [e.in, e.pointer]), [['params', pointer]], url)
  }
  const bad = await h.app.inject({ method: 'POST', url: `/v1/articles/${id}/revisions/abc/restore`, headers: h.auth.write })
  t.equal(bad.statusCode, 400)
})

t.test('a restore that would take a slug another article now has is a 409, and changes nothing', async (t) => {
  const h = await build(t)
  const a = await createArticle(h, { slug: 'the-story' })
  await send(h, 'PATCH', `/v1/articles/${a.id}`, { slug: 'the-story-renamed' })
  await createArticle(h, { slug: 'the-story' })
  const res = await send(h, 'POST', `/v1/articles/${a.id}/revisions/1/restore`)
  t.equal(res.statusCode, 409)
  t.same(res.json().errors.map((e: { pointer: string }) => e.pointer), ['/slug'])
  t.match((await get(h, `/v1/articles/${a.id}`, h.auth.write)).json(), { slug: 'the-story-renamed', version: 2 })
})

t.test('a tag rename or delete that gives an article a new version stores a revision for it too', async (t) => {
  const h = await build(t)
  await createTags(h, 'ukraine', 'russia')
  const a = await createArticle(h, { tags: ['ukraine', 'russia'] })
  t.equal((await send(h, 'PATCH', '/v1/tags/ukraine', { name: 'Ukraina' })).statusCode, 200)
  t.equal((await h.app.inject({ method: 'DELETE', url: '/v1/tags/russia', headers: h.auth.write })).statusCode, 204)
  const current = (await get(h, `/v1/articles/${a.id}`, h.auth.write)).json()
  t.equal(current.version, 3, 'two new versions')
  t.same(current.tags.map((tag: { name: string }) => tag.name), ['Ukraina'])
  const list = await revisions(h, `/v1/articles/${a.id}/revisions`)
  t.same(list.data.map((r: { version: number }) => r.version), [3, 2, 1], 'every version has its revision: no gaps')
  const latest = await get(h, `/v1/articles/${a.id}/revisions/3`, h.auth.write)
  t.equal(latest.statusCode, 200)
  t.same(latest.statusCode === 200 ? latest.json().article : null, current, 'the revision is the article as it now is')
})
