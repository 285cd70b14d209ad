import t from 'tap'
import { runCli } from '../src/cli/commands.js'
import { createArticle, createPublished, createTags } from './factories.js'
import { build, type Harness } from './helper.js'
import { get, withCursor, type Headers } from './reading.js'

// Soft delete (issue 4): DELETE moves an article to the trash (410 for everyone), key holders
// list and restore it within TRASH_RETENTION_DAYS, and `cli purge` removes what is older.

const DAY = 24 * 60 * 60 * 1000
const del = (h: Harness, id: string, headers: Headers = {}) =>
  h.app.inject({ method: 'DELETE', url: `/v1/articles/${id}`, headers: { ...h.auth.write, ...headers } })
const restore = (h: Harness, id: string, headers: Headers = h.auth.write) =>
  h.app.inject({ method: 'POST', url: `/v1/articles/${id}/restore`, headers })
const trash = async (h: Harness, url = '/v1/trash') => {
  const res = await get(h, url, h.auth.write)
  if (res.statusCode !== 200) throw new Error(`${url}: ${res.statusCode} ${res.body}`)
  return res.json()
}
const idsOf = (list: { data: { id: string }[] }) => list.data.map((a) => a.id)
const rows = (h: Harness, table: string, id: string) =>
  h.db.$client.prepare(`SELECT count(*) FROM ${table} WHERE ${table === 'articles' ? 'id' : 'article_id'} = ?`).pluck().get(id)

t.test('DELETE is a 204 that moves the article to the trash; everyone then gets 410', async (t) => {
  const h = await build(t)
  const a = await createPublished(h)
  const res = await del(h, a.id)
  t.equal(res.statusCode, 204)
  t.equal(res.body, '')
  for (const headers of [{}, h.auth.read, h.auth.write]) {
    for (const url of [`/v1/articles/${a.id}`, `/v1/articles/${a.slug}`, `/v1/articles/${a.id}/related`]) {
      const gone = await get(h, url, headers)
      t.equal(gone.statusCode, 410, url)
      t.match(gone.headers['content-type'], /^application\/problem\+json/)
      t.match(gone.json(), { status: 410, type: String, detail: String, deletedAt: '2026-01-15T12:00:00.000Z' })
    }
  }
  t.equal(rows(h, 'articles', a.id), 1, 'still stored, in the trash')
  t.equal((await del(h, a.id)).statusCode, 404, 'deleting it again: there is no live article')
  t.equal((await h.app.inject({ method: 'PATCH', url: `/v1/articles/${a.id}`, headers: h.auth.write, payload: { headline: 'x' } })).statusCode, 404)
})

t.test('a deleted article leaves every list, search and count', async (t) => {
  const h = await build(t)
  await createTags(h, 'ukraine')
  const kept = await createPublished(h, { headline: 'Quokka one', tags: ['ukraine'] })
  const gone = await createPublished(h, { headline: 'Quokka two', tags: ['ukraine'] })
  const draft = await createArticle(h, { headline: 'Quokka draft' })
  await del(h, gone.id)
  await del(h, draft.id)
  for (const headers of [{}, h.auth.write]) {
    const list = (await get(h, '/v1/articles?count=true&facets=tag', headers)).json()
    t.same(idsOf(list), [kept.id])
    t.equal(list.meta.total, 1)
    t.same(list.meta.facets.tag, [{ slug: 'ukraine', name: 'Ukraine', count: 1 }])
    t.same(idsOf((await get(h, '/v1/articles?q=quokka', headers)).json()), [kept.id], 'search')
    t.equal((await get(h, '/v1/tags?withCounts=true', headers)).json().data[0].articleCount, 1, 'tag counts')
    t.same((await get(h, `/v1/articles/${kept.id}/related`, headers)).json().data, [], 'related')
  }
  t.same((await get(h, '/v1/articles?status=draft&count=true', h.auth.write)).json().meta.total, 0, 'drafts for key holders')
})

t.test('GET /v1/trash lists deleted articles, newest deleted first, with deletedAt, a page at a time', async (t) => {
  const h = await build(t)
  const [a, b, c] = [await createPublished(h), await createArticle(h), await createPublished(h)]
  await createPublished(h) // never deleted
  for (const article of [b!, a!, c!]) {
    h.clock.now += 60_000
    await del(h, article.id)
  }
  const all = await trash(h)
  t.same(idsOf(all), [c!.id, a!.id, b!.id])
  t.same(all.data.map((x: { deletedAt: string }) => x.deletedAt), [3, 2, 1].map((m) => new Date(Date.parse('2026-01-15T12:00:00.000Z') + m * 60_000).toISOString()))
  t.match(all.data[1], { id: a!.id, status: 'published', headline: a!.headline })
  const first = await trash(h, '/v1/trash?limit=2')
  t.same(idsOf(first), [c!.id, a!.id])
  const second = await trash(h, withCursor('/v1/trash?limit=2', first.meta.nextCursor))
  t.same(idsOf(second), [b!.id])
  t.equal(second.meta.nextCursor, null)
  t.same(idsOf(await trash(h, withCursor('/v1/trash?limit=2', second.meta.prevCursor))), [c!.id, a!.id], 'and back')
  t.equal((await get(h, '/v1/trash?cursor=nonsense', h.auth.write)).statusCode, 400)
})

t.test('the trash needs a write key: 401 anonymously, 403 with a read key', async (t) => {
  const h = await build(t)
  const a = await createPublished(h)
  await del(h, a.id)
  const anonymous = await get(h, '/v1/trash')
  t.equal(anonymous.statusCode, 401)
  t.match(anonymous.headers['www-authenticate'], /^Bearer/)
  t.match(anonymous.headers['content-type'], /^application\/problem\+json/)
  t.equal((await get(h, '/v1/trash', h.auth.read)).statusCode, 403)
  t.equal((await restore(h, a.id, {})).statusCode, 401)
  t.equal((await restore(h, a.id, h.auth.read)).statusCode, 403)
  t.same(idsOf(await trash(h)), [a.id], 'still in the trash')
})

t.test('restore brings the article back in its previous state, as a new version', async (t) => {
  const h = await build(t)
  await createTags(h, 'ukraine')
  const a = await createPublished(h, { tags: ['ukraine'], summary: 'S' })
  const archived = (await h.app.inject({ method: 'POST', url: `/v1/articles/${a.id}/archive`, headers: h.auth.write })).json()
  t.equal((await del(h, a.id, { 'if-match': '"v1"' })).statusCode, 412, 'DELETE honours If-Match')
  t.equal((await del(h, a.id, { 'if-match': '"v2"' })).statusCode, 204)
  t.equal((await restore(h, a.id, { ...h.auth.write, 'if-match': '"v2"' })).statusCode, 412, 'restore honours If-Match')
  h.clock.now += DAY
  const res = await restore(h, a.slug, { ...h.auth.write, 'if-match': '"v3"' })
  t.equal(res.statusCode, 200)
  t.equal(res.headers.etag, '"v4"')
  const back = res.json()
  const updatedAt = new Date(h.clock.now).toISOString()
  t.same(back, { ...archived, version: 4, updatedAt }, 'as it was before the DELETE, one version on')
  t.equal((await get(h, `/v1/articles/${a.id}`)).statusCode, 200, 'anonymous readers see it again')
  t.same(idsOf((await get(h, '/v1/articles?status=archived')).json()), [a.id], 'and it is listed again')
  t.same((await trash(h)).data, [], 'out of the trash')
  const versions = (await get(h, `/v1/articles/${a.id}/revisions`, h.auth.write)).json().data.map((r: { version: number }) => r.version)
  t.same(versions, [4, 3, 2, 1], 'the delete and the restore are revisions')
})

t.test('restoring what is not in the trash is a 404', async (t) => {
  const h = await build(t)
  const a = await createPublished(h)
  for (const id of [a.id, 'art_nope']) {
    const res = await restore(h, id)
    t.equal(res.statusCode, 404, id)
    t.match(res.headers['content-type'], /^application\/problem\+json/)
  }
  t.equal((await get(h, `/v1/articles/${a.id}`, h.auth.write)).json().version, 1, 'nothing changed')
})

t.test('after the retention period (30 days by default) restore is a 410', async (t) => {
  const h = await build(t)
  const [a, b] = [await createPublished(h), await createPublished(h)]
  await del(h, a.id)
  await del(h, b.id)
  h.clock.now += 30 * DAY
  t.equal((await restore(h, a.id)).statusCode, 200, 'on the last day it still can be')
  h.clock.now += 1
  const late = await restore(h, b.id)
  t.equal(late.statusCode, 410)
  t.match(late.json(), { status: 410, type: String, detail: /30 days/ })
  t.equal((await get(h, `/v1/articles/${b.id}`, h.auth.write)).statusCode, 410, 'still in the trash')
})

t.test('TRASH_RETENTION_DAYS=1: restore is a 410 after a day', async (t) => {
  const h = await build(t, { config: { trashRetentionDays: 1 } })
  const [a, b] = [await createPublished(h), await createPublished(h)]
  await del(h, a.id)
  await del(h, b.id)
  h.clock.now += DAY - 1
  t.equal((await restore(h, a.id)).statusCode, 200)
  h.clock.now += 2
  t.equal((await restore(h, b.id)).statusCode, 410)
})

/** Runs the CLI against the test's database; the CLI uses the real clock. */
async function cli(h: Harness, args: string[]) {
  const out: string[] = []
  const err: string[] = []
  const env = { DATABASE_PATH: h.config.databasePath, TRASH_RETENTION_DAYS: '1' }
  const code = await runCli(args, { env, out: (line) => out.push(line), err: (line) => err.push(line) })
  // One line per article, then a summary (other lines may report other housekeeping).
  const articles = out.filter((line) => /^(would purge|purged)\t/.test(line)).sort()
  const summary = out.find((line) => /^\d+ articles? (would be )?purged/.test(line))
  return { code, out, err, articles, summary }
}

t.test('cli purge: --dry-run lists what is older than the retention; purge deletes it and its revisions', async (t) => {
  const h = await build(t)
  const [old1, old2, recent, live] = [await createPublished(h), await createArticle(h), await createPublished(h), await createPublished(h)]
  await h.app.inject({ method: 'POST', url: `/v1/articles/${old1.id}/corrections`, headers: h.auth.write, payload: { text: 'Fixed.' } })
  for (const a of [old1, old2, recent]) t.equal((await del(h, a.id)).statusCode, 204)
  const setDeletedAt = h.db.$client.prepare('UPDATE articles SET deleted_at = ? WHERE id = ?')
  setDeletedAt.run(Date.now() - 5 * DAY, old1.id)
  setDeletedAt.run(Date.now() - DAY - 60_000, old2.id)
  setDeletedAt.run(Date.now() - DAY + 60 * 60_000, recent.id) // 23 hours ago: within the day
  const count = () => h.db.$client.prepare('SELECT count(*) FROM articles').pluck().get()

  const dry = await cli(h, ['purge', '--dry-run'])
  t.equal(dry.code, 0)
  t.same(dry.err, [])
  t.same(dry.articles, [`would purge\t${old1.id}\t${old1.slug}`, `would purge\t${old2.id}\t${old2.slug}`].sort())
  t.match(dry.summary, /^2 articles would be purged \(older than 1 days/)
  t.equal(count(), 4, 'a dry run deletes nothing')

  const real = await cli(h, ['purge'])
  t.equal(real.code, 0)
  t.same(real.articles, [`purged\t${old1.id}\t${old1.slug}`, `purged\t${old2.id}\t${old2.slug}`].sort())
  t.match(real.summary, /^2 articles purged/)
  for (const a of [old1, old2]) {
    t.equal(rows(h, 'articles', a.id), 0, 'the article is gone')
    t.equal(rows(h, 'article_revisions', a.id), 0, 'with its revisions')
    t.equal(rows(h, 'article_corrections', a.id), 0, 'and corrections')
    t.equal((await get(h, `/v1/articles/${a.id}`, h.auth.write)).statusCode, 404, 'now a 404')
  }
  for (const a of [recent, live]) t.ok((rows(h, 'article_revisions', a.id) as number) > 0, 'others keep their history')
  t.same(idsOf(await trash(h)), [recent.id], 'the recent one is still in the trash')
  t.equal((await restore(h, recent.id)).statusCode, 200, 'and can be restored')
  t.same(idsOf((await get(h, '/v1/articles?q=headline&status=draft', h.auth.write)).json()), [], 'the purged draft is not searchable')
  const again = await cli(h, ['purge'])
  t.same(again.articles, [], 'nothing left to purge')
  t.match(again.summary, /^0 articles purged/)
})
