// The scenarios of issue 5, and the fixtures they need, read from the database copy the
// server runs on (before it starts) and, for the deep page, from the server itself.
import Database from 'better-sqlite3'
import { ADMIN_KEY } from './servers.js'
import { RARE_WORD, TAG_COUNT, tagSlug } from './data.js'
import type { Scenario } from './drive.js'

export type Fixtures = {
  /** Published, visible articles spread over the whole table: slug, id, version, byline. */
  articles: { id: string; slug: string; version: number; byline: string }[]
  /** Two adjacent words from an article body, for a phrase search. */
  phrase: string
  /** A cursor 5,000 rows into the newest-first list (limit 20). */
  deepCursor: string
  /** A tag and a source that have articles together. */
  tagAndSource: { tag: string; source: string }[]
}

/** Every n-th visible article, up to 1,000 of them: reads spread over the table, not one hot row. */
export function readFixtures(databasePath: string): Omit<Fixtures, 'deepCursor'> {
  const db = new Database(databasePath, { readonly: true })
  try {
    const total = (db.prepare(`select count(*) as n from articles where status = 'published'`).get() as { n: number }).n
    const step = Math.max(1, Math.floor(total / 1000))
    // Every step-th doc_id looked up by key: a scan testing doc_id % step would read the whole
    // table, about 20 GB at 1,000,000 articles.
    const articles = db
      .prepare(
        `with recursive k(doc_id) as (select @step union all select doc_id + @step from k where doc_id < (select max(doc_id) from articles))
         select id, slug, version, byline from k join articles using (doc_id) where status = 'published' and deleted_at is null
         order by doc_id limit 1000`,
      )
      .all({ step }) as Fixtures['articles']
    const body = (db.prepare(`select body_text as text from articles where external_id = 'syn-123'`).get() as { text: string }).text
    const words = body.split(/\s+/).map((w) => w.replace(/\W/g, ''))
    const phrase = `${words[40]} ${words[41]}`
    const pairs = db
      .prepare(
        `select t.slug as tag, s.slug as source from article_tags at join articles a on a.id = at.article_id
         join tags t on t.id = at.tag_id join sources s on s.id = a.source_id where a.doc_id % ? = 0 limit 50`,
      )
      .all(step) as Fixtures['tagAndSource']
    return { articles, phrase, tagAndSource: pairs }
  } finally {
    db.close()
  }
}

/** Walks the newest-first list 100 rows at a time to the cursor 5,000 rows in (cursors ignore limit). */
export async function deepCursor(baseUrl: string, rows = 5000): Promise<string> {
  let cursor: string | undefined
  for (let done = 0; done < rows; done += 100) {
    const response = await fetch(`${baseUrl}/v1/articles?limit=100&fields=id${cursor ? `&cursor=${cursor}` : ''}`)
    const page = (await response.json()) as { meta: { nextCursor: string | null } }
    if (!page.meta.nextCursor) throw new Error(`the list ends before ${rows} rows`)
    cursor = page.meta.nextCursor
  }
  return cursor!
}

/** Round robin over a list, one position per connection context. */
function rotate<T>(items: readonly T[], seed = 0) {
  let i = seed
  return () => items[i++ % items.length]!
}

const admin = { authorization: `Bearer ${ADMIN_KEY}` }

export function scenarios(f: Fixtures): Scenario[] {
  const article = rotate(f.articles)
  const tag = rotate(Array.from({ length: TAG_COUNT }, (_, i) => tagSlug(i)))
  const pair = rotate(f.tagAndSource)
  // The months the synthetic articles were published in (bench/data.ts: five years from 2021).
  const month = rotate(Array.from({ length: 60 }, (_, i) => [2021 + Math.floor(i / 12), (i % 12) + 1] as const))
  const revalidate = rotate(f.articles)
  // The write mix edits a small pool, so concurrent edits of one article happen (and 412).
  const pool = f.articles.slice(0, 20)
  let edit = 0
  return [
    { name: 'get by slug', expect: [200], requests: [{ path: () => `/v1/articles/${article().slug}` }] },
    { name: 'get by id', expect: [200], requests: [{ path: () => `/v1/articles/${article().id}` }] },
    // What a browser sends: the body goes out as brotli (the client cores do not decode it).
    {
      name: 'compressed get by slug (br)',
      expect: [200],
      requests: [{ path: () => `/v1/articles/${article().slug}`, headers: { 'accept-encoding': 'gzip, deflate, br' } }],
    },
    { name: 'list newest 20', expect: [200], requests: [{ path: '/v1/articles?limit=20' }] },
    { name: 'list by tag', expect: [200], requests: [{ path: () => `/v1/articles?tag=${tag()}` }] },
    {
      name: 'list by tag and source',
      expect: [200],
      requests: [{ path: () => {
        const { tag, source } = pair()
        return `/v1/articles?tag=${tag}&source=${source}`
      } }],
    },
    {
      // A frontend's archive page: one month, newest first.
      name: 'list a month (from/to)',
      expect: [200],
      requests: [{ path: () => {
        const [year, m] = month()
        const first = `${year}-${String(m).padStart(2, '0')}`
        return `/v1/articles?from=${first}-01&to=${first}-${new Date(Date.UTC(year, m, 0)).getUTCDate()}`
      } }],
    },
    // An author's page: the synthetic bylines are two random words, so each has a few articles.
    { name: 'list by byline', expect: [200], requests: [{ path: () => `/v1/articles?byline=${encodeURIComponent(article().byline)}` }] },
    { name: 'deep page (5,000 rows in)', expect: [200], requests: [{ path: `/v1/articles?limit=20&cursor=${f.deepCursor}` }] },
    { name: `search a word (${RARE_WORD})`, expect: [200], requests: [{ path: `/v1/articles?q=${RARE_WORD}` }] },
    { name: 'search a phrase', expect: [200], requests: [{ path: `/v1/articles?q=${encodeURIComponent(`"${f.phrase}"`)}` }] },
    { name: 'facets (tag, source, month)', expect: [200], requests: [{ path: '/v1/articles?facets=tag,source,month' }] },
    { name: 'feed (JSON Feed)', expect: [200], requests: [{ path: '/v1/feeds/articles.json' }] },
    {
      name: '304 revalidation',
      expect: [304],
      requests: [{ path: (c) => {
        const a = revalidate()
        c.etag = `"v${a.version}"`
        return `/v1/articles/${a.slug}`
      }, headers: (c) => ({ 'if-none-match': c.etag as string }) }],
    },
    {
      // An editor's cycle: GET the article (keyed), then PATCH it with If-Match: its ETag.
      // Another connection may have changed it in between: that 412 is an expected outcome.
      name: 'write mix (GET, then PATCH with If-Match)',
      expect: [200, 412],
      requests: [
        {
          path: (c) => {
            c.id = pool[Math.floor(Math.random() * pool.length)]!.id
            return `/v1/articles/${c.id}`
          },
          headers: admin,
          onResponse: (_status, c, headers) => (c.etag = headers['etag']),
        },
        {
          method: 'PATCH',
          path: (c) => `/v1/articles/${c.id}`,
          headers: (c) => ({ ...admin, 'content-type': 'application/merge-patch+json', 'if-match': String(c.etag) }),
          body: () => JSON.stringify({ summary: `Edited by the benchmark, edit ${++edit}.` }),
        },
      ],
    },
  ]
}

