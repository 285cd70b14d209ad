import fc from 'fast-check'
import t from 'tap'
import { createArticle, createPublished, createTags } from './factories.js'
import { build, type Harness } from './helper.js'
import { get, ids, iso, list, withCursor } from './reading.js'

// Full-text search with `q` on GET /v1/articles (issue 3): syntax, ranking, highlights,
// hostile input, and an index that stays in step with every write.

const search = (h: Harness, q: string, extra = '', headers: Record<string, string> = {}) =>
  ids(h, `/v1/articles?q=${encodeURIComponent(q)}${extra}`, headers)
const sorted = (values: string[]) => [...values].sort()
const patch = async (h: Harness, id: string, payload: object) => {
  const res = await h.app.inject({ method: 'PATCH', url: `/v1/articles/${id}`, headers: h.auth.write, payload })
  if (res.statusCode !== 200) throw new Error(`PATCH answered ${res.statusCode}: ${res.body}`)
}
/** Every code point as percent-encoded UTF-8 bytes; a lone surrogate becomes its (invalid) 3-byte form. */
function percentEncode(text: string): string {
  let out = ''
  for (const ch of text) {
    const cp = ch.codePointAt(0)!
    const bytes =
      cp < 0x80 ? [cp]
      : cp < 0x800 ? [0xc0 | (cp >> 6), 0x80 | (cp & 63)]
      : cp < 0x10000 ? [0xe0 | (cp >> 12), 0x80 | ((cp >> 6) & 63), 0x80 | (cp & 63)]
      : [0xf0 | (cp >> 18), 0x80 | ((cp >> 12) & 63), 0x80 | ((cp >> 6) & 63), 0x80 | (cp & 63)]
    out += bytes.map((b) => '%' + b.toString(16).toUpperCase().padStart(2, '0')).join('')
  }
  return out
}
/** FTS5's own check that the index holds exactly what the articles table holds. */
const indexInStep = (h: Harness) => h.db.$client.prepare(`INSERT INTO articles_fts(articles_fts, rank) VALUES ('integrity-check', 1)`).run()

t.test('q finds words in the headline, the summary and the body', async (t) => {
  const h = await build(t)
  const inHeadline = (await createPublished(h, { headline: 'Zebras cross the road' })).id
  const inSummary = (await createPublished(h, { summary: 'A note on the okapi' })).id
  const inBody = (await createPublished(h, { body: 'Deep in the text, a narwhal surfaces.' })).id
  await createPublished(h, { headline: 'Nothing to see', body: 'Plain words.' })
  t.same(await search(h, 'zebras'), [inHeadline])
  t.same(await search(h, 'okapi'), [inSummary])
  t.same(await search(h, 'narwhal'), [inBody])
  t.same(await search(h, 'unicorn'), [], 'no match is an empty list')
})

t.test('every word must match', async (t) => {
  const h = await build(t)
  const both = (await createPublished(h, { headline: 'Apple harvest', body: 'The banana crop failed.' })).id
  await createPublished(h, { headline: 'Apple pie' })
  await createPublished(h, { headline: 'Banana bread' })
  t.same(await search(h, 'apple banana'), [both])
  t.equal((await search(h, 'apple')).length, 2)
})

t.test('English stemming, case and diacritics do not matter', async (t) => {
  const h = await build(t)
  const alliance = (await createPublished(h, { headline: 'A new alliance is formed' })).id
  const cafe = (await createPublished(h, { headline: 'Café society returns', body: 'Naïve RÉSUMÉ writers.' })).id
  t.same(await search(h, 'alliances'), [alliance], 'plural finds singular')
  t.same(await search(h, 'ALLIANCE'), [alliance])
  t.same(await search(h, 'cafe'), [cafe], 'cafe finds Café')
  t.same(await search(h, 'CAFÉ'), [cafe])
  t.same(await search(h, 'naive resume'), [cafe])
})

t.test('"exact phrase" needs the words together; the same words apart match without quotes', async (t) => {
  const h = await build(t)
  const together = (await createPublished(h, { body: 'The red fox jumped the fence.' })).id
  const apart = (await createPublished(h, { body: 'The red barn hid a fox.' })).id
  t.same(await search(h, '"red fox"'), [together])
  t.same(sorted(await search(h, 'red fox')), sorted([together, apart]))
  t.same(await search(h, '"fox red"'), [], 'order matters in a phrase')
})

t.test('prefix*, a OR b, and -excluded', async (t) => {
  const h = await build(t)
  const journalism = (await createPublished(h, { headline: 'Journalism in crisis', body: 'fox' })).id
  const hedgehog = (await createPublished(h, { headline: 'A hedgehog at night', body: 'fox' })).id
  const other = (await createPublished(h, { headline: 'Quiet evening', body: 'fox and hedgehog' })).id
  t.same(await search(h, 'journ*'), [journalism], 'prefix')
  t.same(await search(h, 'journ'), [], 'no prefix without the star')
  t.same(sorted(await search(h, 'journalism OR evening')), sorted([journalism, other]))
  t.same(sorted(await search(h, 'fox -hedgehog')), [journalism], 'excluded word')
  t.same(sorted(await search(h, 'fox -"quiet evening"')), sorted([journalism, hedgehog]), 'excluded phrase')
})

t.test('with q the default order is relevance: a headline hit above a body-only hit', async (t) => {
  const h = await build(t)
  const headline = (await createPublished(h, { headline: 'Quokka spotted', body: 'An animal was seen.', publishedAt: iso(Date.parse('2015-01-01')) })).id
  const body = (await createPublished(h, { headline: 'Island news', body: 'A quokka was seen.', publishedAt: iso(Date.parse('2015-06-01')) })).id
  t.same(await search(h, 'quokka'), [headline, body], 'relevance by default')
  t.same(await search(h, 'quokka', '&sort=relevance'), [headline, body])
  t.same(await search(h, 'quokka', '&sort=newest'), [body, headline], 'an explicit sort wins')
})

t.test('highlight=true marks matches and HTML-escapes the rest', async (t) => {
  const h = await build(t)
  await createPublished(h, { headline: 'Field notes', body: 'Before it <script>alert(1)</script> the pangolin & "friends" appeared.' })
  const { data } = await list(h, '/v1/articles?q=pangolin&highlight=true')
  t.equal(data.length, 1)
  const highlight = String(data[0]!.highlight)
  t.match(highlight, /<mark>pangolin<\/mark>/)
  t.match(highlight, /&lt;script&gt;/)
  t.notMatch(highlight, /<script/i)
  t.match(highlight, /&amp;/)
  t.same(highlight.replace(/<\/?mark>/g, '').match(/[<>]/g), null, 'no raw angle brackets but the marks')
  const plain = await list(h, '/v1/articles?q=pangolin')
  t.notOk('highlight' in plain.data[0]!, 'no highlight unless asked')
})

t.test('search results page with cursors, by relevance and by date', async (t) => {
  const h = await build(t)
  const made = [] as string[]
  for (let i = 0; i < 5; i++) {
    // More mentions rank higher; publication order is the reverse of rank.
    made.push((await createPublished(h, { headline: 'Report', body: `${'tapir '.repeat(5 - i)}filler text ${i}`, publishedAt: iso(Date.parse('2015-01-01') + i * 3_600_000) })).id)
  }
  await createPublished(h, { headline: 'Unrelated' })
  for (const [extra, expected] of [['', made], ['&sort=oldest', made], ['&sort=newest', [...made].reverse()]] as const) {
    const url = `/v1/articles?q=tapir&limit=2${extra}`
    const seen: string[] = []
    let page = await list(h, url)
    seen.push(...page.data.map((a) => a.id))
    while (page.meta.nextCursor) {
      page = await list(h, withCursor(url, page.meta.nextCursor))
      seen.push(...page.data.map((a) => a.id))
    }
    t.same(seen, expected, `q=tapir${extra}: every hit once, in order`)
  }
})

const HOSTILE = [
  '"unbalanced',
  'unbalanced"',
  '"a" "b',
  'NEAR(',
  'NEAR(a b, 2)',
  'headline:foo',
  '{headline body}: foo',
  '*',
  '**',
  'foo*bar',
  'AND OR NOT',
  'OR',
  'foo OR',
  'NOT foo',
  '^',
  '^foo',
  '{}',
  '()',
  '(foo',
  'foo)',
  '-',
  '--foo',
  '-foo',
  '""',
  '"',
  "'; DROP TABLE articles; --",
  'x'.repeat(2000),
  'word '.repeat(400),
  '\u0000',
  'a\u0000b',
  '💥 emoji',
  'foo + bar',
  'rowid:1',
  'articles_fts:x',
]

t.test('hostile search input answers 200 or a 400 problem, never a 5xx', async (t) => {
  const h = await build(t)
  await createPublished(h, { headline: 'foo bar', body: 'headline body NEAR words' })
  for (const q of HOSTILE) {
    const res = await get(h, `/v1/articles?q=${encodeURIComponent(q)}`)
    const label = JSON.stringify(q.length > 40 ? `${q.slice(0, 20)}... (${q.length})` : q)
    t.ok(res.statusCode === 200 || res.statusCode === 400, `${label}: ${res.statusCode}`)
    if (res.statusCode === 400) {
      t.match(res.headers['content-type'], /^application\/problem\+json/, `${label}: a problem`)
      t.match(res.json().errors, [{ in: 'query', pointer: '/q' }], `${label}: names q`)
    }
  }
  for (const raw of ['%FF', '%E0%A4%A', '%ED%A0%80', '%', '%%22']) {
    const res = await get(h, `/v1/articles?q=${raw}`)
    t.ok(res.statusCode < 500, `raw q=${raw}: ${res.statusCode}`)
  }
  const tooLong = await get(h, `/v1/articles?q=${'x'.repeat(2001)}`)
  t.equal(tooLong.statusCode, 400, 'over 2,000 characters is a 400')
})

t.test('property: random strings and FTS operators in q never answer 5xx', async (t) => {
  const h = await build(t)
  await createPublished(h, { headline: 'Alliance talks resume', summary: 'Café politics', body: 'The red fox jumped.' })
  const operators = fc.constantFrom('"', '*', '-', '(', ')', ':', '^', '{', '}', '+', 'AND', 'OR', 'NOT', 'NEAR', 'NEAR(', 'headline:', ',', '\u0000')
  const word = fc.constantFrom('fox', 'alliance', 'café', 'red', 'x', '', '1')
  const q = fc.oneof(
    fc.string({ maxLength: 80 }),
    fc.string({ unit: 'binary', maxLength: 40 }),
    fc.string({ unit: 'grapheme', maxLength: 40 }),
    fc.stringMatching(/^[-"*():^{} a-zA-Z]{0,30}$/),
    fc.array(fc.oneof(operators, word), { maxLength: 12 }).map((parts) => parts.join(' ')),
    fc.array(fc.oneof(operators, word), { maxLength: 12 }).map((parts) => parts.join('')),
  )
  await fc.assert(
    fc.asyncProperty(q, fc.boolean(), async (text, highlight) => {
      const res = await get(h, `/v1/articles?q=${percentEncode(text)}${highlight ? '&highlight=true' : ''}`)
      return res.statusCode < 500
    }),
    { numRuns: 200 },
  )
  t.pass('200 random queries, none answered 5xx') // fc.assert throws with the shrunk counterexample otherwise
})

t.test('the index stays in step through create, edit, tag change, unpublish and delete', async (t) => {
  const h = await build(t)
  await createTags(h, 'one', 'two')
  const id = (await createPublished(h, { headline: 'Walrus colony grows', body: 'The ocelot hides.', tags: ['one'] })).id
  t.same(await search(h, 'walrus'), [id], 'found after create')

  await patch(h, id, { headline: 'Narwhal colony grows' })
  t.same(await search(h, 'walrus'), [], 'the old headline word is gone')
  t.same(await search(h, 'narwhal'), [id], 'the new one is found')

  await patch(h, id, { body: 'The ibex climbs.' })
  t.same(await search(h, 'ocelot'), [], 'the old body word is gone')
  t.same(await search(h, 'ibex'), [id])

  await patch(h, id, { tags: ['two', 'one'] })
  t.same(await search(h, 'narwhal'), [id], 'a tag change: still found, once')

  await patch(h, id, { status: 'draft' })
  t.same(await search(h, 'narwhal'), [], 'anonymous readers no longer find a draft')
  t.same(await search(h, 'narwhal', '', h.auth.read), [], 'nor does a read key')
  t.same(await search(h, 'narwhal', '&status=draft', h.auth.write), [id], 'a write key with status=draft does')
  indexInStep(h)

  const del = await h.app.inject({ method: 'DELETE', url: `/v1/articles/${id}`, headers: h.auth.write })
  t.equal(del.statusCode, 204)
  t.same(await search(h, 'narwhal'), [], 'deleted: gone anonymously')
  t.same(await search(h, 'narwhal', '&status=draft', h.auth.write), [], 'and for a write key')
  t.same(await search(h, 'narwhal', '&status=published', h.auth.write), [])
  indexInStep(h)
})

t.test('several edits never leave duplicate hits', async (t) => {
  const h = await build(t)
  await createTags(h, 'a', 'b', 'c')
  const id = (await createPublished(h, { headline: 'Capybara diary', body: 'day one', tags: ['a'] })).id
  const other = (await createPublished(h, { headline: 'Capybara report', body: 'elsewhere' })).id
  for (let i = 0; i < 5; i++) {
    h.clock.now += 1000
    await patch(h, id, { body: `day ${i} capybara`, summary: `capybara ${i}`, tags: i % 2 ? ['a', 'b'] : ['c'] })
  }
  await patch(h, id, { status: 'draft' })
  await patch(h, id, { status: 'published' })
  const hits = await search(h, 'capybara')
  t.same(sorted(hits), sorted([id, other]), 'each article once')
  const counted = await list(h, '/v1/articles?q=capybara&count=true&facets=tag')
  t.equal(counted.meta.total, 2)
  t.same(counted.meta.facets, { tag: [{ slug: 'c', name: 'C', count: 1 }] }, 'facets count each hit once')
  t.same(await search(h, 'capybara', '&tag=c'), [id], 'under its last tags')
  t.same(await search(h, 'capybara', '&tag=a'), [], 'not under the ones it lost')
  indexInStep(h)
})

t.test('q works with filters, drafts stay hidden, and a draft-only match is not leaked in counts', async (t) => {
  const h = await build(t)
  await createTags(h, 'wild')
  const tagged = (await createPublished(h, { headline: 'Lynx sighting', tags: ['wild'] })).id
  await createPublished(h, { headline: 'Lynx rumour' })
  await createArticle(h, { headline: 'Lynx draft', tags: ['wild'] })
  t.same(await search(h, 'lynx', '&tag=wild'), [tagged])
  t.equal((await list(h, '/v1/articles?q=lynx&count=true')).meta.total, 2)
  t.equal((await list(h, '/v1/articles?q=lynx&count=true&status=draft', h.auth.write)).meta.total, 1)
})
