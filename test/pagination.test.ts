import t from 'tap'
import { build, type Harness } from './helper.js'
import { createArticle, createSource, createTag } from './factories.js'

type Row = { id: string; name?: string; tags?: unknown[]; source?: { id: string } | null }
type Page = { data: Row[]; meta: { limit: number; nextCursor: string | null; prevCursor: string | null } }

const BASE = Date.parse('2025-06-01T00:00:00.000Z')
const HOUR = 3_600_000

/** `n` published articles, one an hour apart; returns their ids newest first. */
async function publishedArticles(h: Harness, n: number, start = BASE): Promise<string[]> {
  const made: { id: string; at: number }[] = []
  for (let i = 0; i < n; i++) {
    const at = start + i * HOUR
    const a = await createArticle(h, { status: 'published', publishedAt: new Date(at).toISOString() })
    made.push({ id: a.id, at })
  }
  return made.sort((x, y) => y.at - x.at).map((a) => a.id)
}

async function page(h: Harness, url: string, headers: Record<string, string> = {}) {
  const res = await h.app.inject({ method: 'GET', url, headers })
  if (res.statusCode !== 200) throw new Error(`GET ${url} answered ${res.statusCode}: ${res.body}`)
  return { body: res.json() as Page, link: res.headers.link as string | undefined }
}

const withCursor = (path: string, cursor: string) => `${path}${path.includes('?') ? '&' : '?'}cursor=${encodeURIComponent(cursor)}`

/** Follows nextCursor from the first page; `between` runs before each later request. */
async function walk(h: Harness, path: string, between: () => Promise<void> = async () => {}) {
  const pages: Page[] = [(await page(h, path)).body]
  while (pages.at(-1)!.meta.nextCursor) {
    await between()
    pages.push((await page(h, withCursor(path, pages.at(-1)!.meta.nextCursor!))).body)
  }
  return pages
}

/** The target of each rel in an RFC 8288 Link header. */
function links(header: string | undefined): Record<string, string> {
  const out: Record<string, string> = {}
  for (const m of (header ?? '').matchAll(/<([^>]*)>\s*;\s*rel="([^"]+)"/g)) out[m[2]!] = m[1]!
  return out
}

t.test('a walk with limit=10 returns every article once, newest first', async (t) => {
  const h = await build(t)
  const expected = await publishedArticles(h, 25)
  const pages = await walk(h, '/v1/articles?limit=10')
  t.same(pages.map((p) => p.data.length), [10, 10, 5])
  t.same(pages.flatMap((p) => p.data.map((a) => a.id)), expected)
  t.equal(pages[0]!.meta.prevCursor, null, 'nothing before the first page')
  t.equal(pages[2]!.meta.nextCursor, null, 'nothing after the last page')
  t.equal(pages[0]!.meta.limit, 10)
})

t.test('articles published at the same instant page by id, each once', async (t) => {
  const h = await build(t)
  const at = new Date(BASE).toISOString()
  const ids: string[] = []
  for (let i = 0; i < 7; i++) ids.push((await createArticle(h, { status: 'published', publishedAt: at })).id)
  const pages = await walk(h, '/v1/articles?limit=2')
  t.same(pages.map((p) => p.data.length), [2, 2, 2, 1])
  t.same(pages.flatMap((p) => p.data.map((a) => a.id)), [...ids].sort().reverse(), 'id descending within the instant')
})

t.test('rows inserted between page requests do not shift the walk', async (t) => {
  const h = await build(t)
  const expected = await publishedArticles(h, 25)
  let n = 0
  const pages = await walk(h, '/v1/articles?limit=10', async () => {
    n++
    const newer = BASE + (100 + n) * HOUR
    const older = BASE - n * HOUR
    await createArticle(h, { status: 'published', publishedAt: new Date(newer).toISOString() })
    await createArticle(h, { status: 'published', publishedAt: new Date(older).toISOString() })
  })
  const seen = pages.flatMap((p) => p.data.map((a) => a.id))
  t.equal(new Set(seen).size, seen.length, 'no duplicates')
  t.same(seen.filter((id) => expected.includes(id)), expected, 'every original once, in order')
  t.ok(n >= 2, 'rows were inserted during the walk')
})

t.test('prevCursor walks back over the same pages', async (t) => {
  const h = await build(t)
  await publishedArticles(h, 25)
  const forward = await walk(h, '/v1/articles?limit=10')
  const ids = (p: Page) => p.data.map((a) => a.id)
  let current = forward.at(-1)!
  for (let i = forward.length - 2; i >= 0; i--) {
    t.ok(current.meta.prevCursor, `page ${i + 2} has a prevCursor`)
    current = (await page(h, withCursor('/v1/articles?limit=10', current.meta.prevCursor!))).body
    t.same(ids(current), ids(forward[i]!), `back to page ${i + 1}`)
  }
  t.equal(current.meta.prevCursor, null, 'the first page again has nothing before it')
  t.ok(current.meta.nextCursor, 'and can go forward')
})

t.test('a date range of one source pages forward and back in both orders, each article once', async (t) => {
  // The range's ends, the clock and a cursor are all bounds on the publication time; which of
  // them bounds the index walk changes with the order and direction (list-sql.ts timeTests).
  const h = await build(t)
  await createSource(h, { slug: 'bbc', name: 'BBC' })
  const inRange: { id: string; at: number }[] = []
  for (let i = 0; i < 12; i++) {
    const at = BASE + i * HOUR
    const a = await createArticle(h, { status: 'published', publishedAt: new Date(at).toISOString(), ...(i % 3 ? { source: 'bbc' } : {}) })
    if (i % 3 && i >= 2 && i <= 10) inRange.push({ id: a.id, at })
  }
  const range = `source=bbc&from=${new Date(BASE + 2 * HOUR).toISOString()}&to=${new Date(BASE + 10 * HOUR).toISOString()}&limit=2`
  const ids = (p: Page) => p.data.map((a) => a.id)
  for (const sort of ['newest', 'oldest'] as const) {
    const path = `/v1/articles?${range}&sort=${sort}`
    const forward = await walk(h, path)
    const expected = [...inRange].sort((x, y) => (sort === 'newest' ? y.at - x.at : x.at - y.at)).map((a) => a.id)
    t.same(forward.flatMap(ids), expected, `${sort}: every article of the range and source, once`)
    let current = forward.at(-1)!
    for (let i = forward.length - 2; i >= 0; i--) {
      current = (await page(h, withCursor(path, current.meta.prevCursor!))).body
      t.same(ids(current), ids(forward[i]!), `${sort}: back to page ${i + 1}`)
    }
  }
})

t.test('the Link header carries next and prev URLs that can be followed', async (t) => {
  const h = await build(t)
  const expected = await publishedArticles(h, 12)
  const first = await page(h, '/v1/articles?limit=5')
  const firstLinks = links(first.link)
  t.same(Object.keys(firstLinks), ['next'], 'the first page only has a next link')
  t.match(firstLinks.next, /^\/v1\/articles\?/)
  t.match(firstLinks.next, /limit=5/, 'the query is kept')
  const second = await page(h, firstLinks.next!)
  t.same(second.body.data.map((a) => a.id), expected.slice(5, 10))
  const secondLinks = links(second.link)
  t.ok(secondLinks.next && secondLinks.prev, 'a middle page links both ways')
  t.same((await page(h, secondLinks.prev!)).body.data.map((a) => a.id), expected.slice(0, 5))
  const third = await page(h, secondLinks.next!)
  t.same(third.body.data.map((a) => a.id), expected.slice(10))
  t.same(Object.keys(links(third.link)), ['prev'], 'the last page only has a prev link')
})

t.test('a cursor replayed against another filter is a 400 at /cursor', async (t) => {
  const h = await build(t)
  await publishedArticles(h, 3)
  const { body } = await page(h, '/v1/articles?status=published&limit=2')
  const res = await h.app.inject({
    method: 'GET',
    url: withCursor('/v1/articles?status=archived&limit=2', body.meta.nextCursor!),
    headers: h.auth.write,
  })
  t.equal(res.statusCode, 400)
  t.equal(res.headers['content-type'], 'application/problem+json; charset=utf-8')
  t.same(res.json().errors.map((e: { in: string; pointer: string }) => [e.in, e.pointer]), [['query', '/cursor']])
})

t.test('a garbage cursor is a 400, not a 500', async (t) => {
  const h = await build(t)
  await publishedArticles(h, 2)
  const forged = Buffer.from(JSON.stringify({ k: [1], d: 'n', f: 'x' })).toString('base64url')
  for (const cursor of ['garbage', '!!!', forged, Buffer.from('null').toString('base64url')]) {
    const res = await h.app.inject({ method: 'GET', url: withCursor('/v1/articles', cursor) })
    t.equal(res.statusCode, 400, cursor)
    t.equal(res.json().errors[0].pointer, '/cursor', `${cursor}: points at the cursor`)
  }
})

t.test('limit must be between 1 and 100', async (t) => {
  const h = await build(t)
  for (const url of ['/v1/articles?limit=0', '/v1/articles?limit=101', '/v1/tags?limit=0', '/v1/sources?limit=101']) {
    const res = await h.app.inject({ method: 'GET', url })
    t.equal(res.statusCode, 400, url)
    t.equal(res.json().errors[0].pointer, '/limit', `${url}: points at the limit`)
  }
  t.equal((await h.app.inject({ method: 'GET', url: '/v1/articles?limit=100' })).statusCode, 200)
  t.equal((await h.app.inject({ method: 'GET', url: '/v1/articles?limit=1' })).statusCode, 200)
})

for (const resource of ['tags', 'sources'] as const) {
  t.test(`${resource} are listed by name and page the same way`, async (t) => {
    const h = await build(t)
    const make = resource === 'tags' ? createTag : createSource
    const names = ['Mango', 'Banana', 'Kiwi', 'Apple', 'Lemon', 'Cherry', 'Banana', 'Fig']
    for (const name of names) await make(h, { name })
    const pages = await walk(h, `/v1/${resource}?limit=3`)
    t.same(pages.map((p) => p.data.length), [3, 3, 2])
    const seen = pages.flatMap((p) => p.data)
    t.same(seen.map((r) => r.name), [...names].sort(), 'sorted by name')
    t.equal(new Set(seen.map((r) => r.id)).size, names.length, 'each row once, namesakes included')
    const back = (await page(h, withCursor(`/v1/${resource}?limit=3`, pages[2]!.meta.prevCursor!))).body
    t.same(back.data.map((r) => r.id), pages[1]!.data.map((r) => r.id), 'prevCursor goes back')
    const bad = await h.app.inject({ method: 'GET', url: withCursor(`/v1/${resource}`, 'garbage') })
    t.equal(bad.statusCode, 400)
  })
}

t.test('a cursor from one collection is refused by another', async (t) => {
  const h = await build(t)
  for (const name of ['A', 'B', 'C']) {
    await createTag(h, { name })
    await createSource(h, { name })
  }
  const tagCursor = (await page(h, '/v1/tags?limit=1')).body.meta.nextCursor!
  const res = await h.app.inject({ method: 'GET', url: withCursor('/v1/sources?limit=1', tagCursor) })
  t.equal(res.statusCode, 400)
  t.equal(res.json().errors[0].pointer, '/cursor')
})

t.test('a list page costs a constant number of queries, however many rows', async (t) => {
  const h = await build(t)
  const source = await createSource(h)
  const tags = [await createTag(h), await createTag(h)]
  for (let i = 0; i < 20; i++) {
    await createArticle(h, {
      status: 'published',
      publishedAt: new Date(BASE + i * HOUR).toISOString(),
      source: source.slug,
      tags: tags.map((tag) => tag.slug),
    })
  }
  // Count executions on the Statement prototype, so statements prepared once up front count too.
  type Method = (this: unknown, ...args: unknown[]) => unknown
  const statement = Object.getPrototypeOf(h.db.$client.prepare('SELECT 1')) as Record<string, Method>
  let statements = 0
  for (const name of ['all', 'get', 'run', 'iterate']) {
    const original = statement[name]!
    statement[name] = function (this: unknown, ...args: unknown[]) {
      statements++
      return original.apply(this, args)
    }
    t.teardown(() => {
      statement[name] = original
    })
  }
  const count = async (url: string) => {
    statements = 0
    const { body } = await page(h, url)
    return { statements, rows: body.data }
  }
  // The first read after a write also looks up the next scheduled change (public-view.ts).
  await count('/v1/articles?limit=1')
  const small = await count('/v1/articles?limit=2')
  const large = await count('/v1/articles?limit=20')
  t.equal(large.rows.length, 20)
  t.ok(large.rows.every((a) => a.tags?.length === 2), 'tags embedded')
  t.ok(large.rows.every((a) => a.source?.id === source.id), 'source embedded')
  t.ok(large.statements > 0, 'statements are counted')
  // The page, its tags and its sources, and the response cache's content token.
  t.ok(large.statements <= 5, `a small constant (${large.statements})`)
  t.equal(large.statements, small.statements, '20 rows cost what 2 rows cost')
})
