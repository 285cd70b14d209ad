// The floor under import speed: what SQLite alone costs per imported article, part by part, with
// raw prepared statements and every value computed beforehand, against the import path itself
// (bench/load.ts importLines: the bulk service of `npm run cli -- import`) on lines alike, in the
// same process: each run into a new empty database, or with --into N all into one copy of the
// cached N-article database (a copy each would be gigabytes). Each part adds one more thing the
// import writes per article. The parts and the import path take turns, --rounds times, on new
// lines each time, and the median of each is reported: a single run moves by tens of µs on this
// shared machine. The last line is the search index alone, in memory,
// on the same texts: FTS5's own cost, whatever the schema.
// Run with: npx tsx bench/import-floor.ts [--lines 5000] [--rounds 3] [--into 0] [--batch 1000]
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import Database from 'better-sqlite3'
import { openDatabase, type Db } from '../src/db/client.js'
import { newId } from '../src/ids.js'
import { renderBody } from '../src/modules/articles/body.js'
import { countWords } from '../src/modules/articles/word-count.js'
import { slugFrom } from '../src/slugs.js'
import { seedCatalog, syntheticArticles, syntheticLines } from './data.js'
import { cachedDatabase, importLines } from './load.js'

const { values } = parseArgs({
  options: {
    lines: { type: 'string', default: '5000' },
    rounds: { type: 'string', default: '3' },
    into: { type: 'string', default: '0' },
    batch: { type: 'string', default: '1000' },
  },
})
const count = Number(values.lines)
const rounds = Number(values.rounds)
const base = Number(values.into)
const batch = Number(values.batch)
// New articles each run: externalIds after the cached ones and the earlier runs', another seed.
let first = base
const nextFirst = () => (first += count) - count

const PARTS = ['article row', 'its tags', 'its revision', 'its change event', 'the search index (one statement per batch)'] as const
type Part = (typeof PARTS)[number]

const dir = mkdtempSync(join(tmpdir(), 'newsdesk-import-floor-'))
let runs = 0
/** Where the next run writes: a new empty database, or the one copy of the cached one. */
async function databaseForRun(shared: Db | undefined): Promise<Db> {
  if (shared) return shared
  const db = openDatabase(join(dir, `run-${runs++}.db`))
  seedCatalog(db)
  return db
}
const done = (db: Db) => {
  if (base === 0) db.$client.close()
}

/** The rows an import writes for each line, computed before any timing. */
function rowsFor(db: Db) {
  const ids = (table: string) => new Map(db.$client.prepare(`select slug, id from ${table}`).all().map((r) => [(r as { slug: string }).slug, (r as { id: string }).id]))
  const tagIds = ids('tags')
  const sourceIds = ids('sources')
  const now = Date.now()
  return [...syntheticArticles(count, 43, nextFirst())].map((a) => {
    const id = newId('art')
    const { html, text } = renderBody(a.body, 'text')
    const row = {
      id, slug: `${slugFrom(a.headline, 'article')}-${id.replace('_', '-').toLowerCase()}`, // the same seed repeats headlines
      external_id: a.externalId, headline: a.headline, summary: a.summary,
      body: a.body, body_html: html, body_text: text, byline: a.byline, status: a.status, published_at: Date.parse(a.publishedAt),
      source_id: sourceIds.get(a.source), word_count: countWords(text), created_at: now, updated_at: now,
    }
    const snapshot = JSON.stringify({ ...a, id, slug: row.slug, bodyFormat: 'text', version: 1, source: { id: row.source_id, slug: a.source } })
    return { row, tags: a.tags.map((slug) => tagIds.get(slug)!), snapshot }
  })
}

/** Writes the lines with the parts up to `upTo`, in transactions of `batch`; CPU µs per article and the wall rate. */
function writeFloor(db: Db, upTo: number) {
  const c = db.$client
  const has = (part: Part) => PARTS.indexOf(part) <= upTo
  const rows = rowsFor(db)
  const article = c.prepare(`insert into articles (id, slug, external_id, headline, summary, body, body_html, body_text, byline, status, published_at, source_id, word_count, created_at, updated_at)
    values (@id, @slug, @external_id, @headline, @summary, @body, @body_html, @body_text, @byline, @status, @published_at, @source_id, @word_count, @created_at, @updated_at)`)
  const tag = c.prepare('insert into article_tags (article_id, tag_id, position) values (?, ?, ?)')
  const revision = c.prepare(`insert into article_revisions (article_id, version, created_at, actor, snapshot) values (?, 1, ?, 'floor', ?)`)
  const event = c.prepare(`insert into article_events (article_id, type, version, effective_at, created_at) values (?, 'upsert', 1, ?, ?)`)
  // As src/db/search.ts: the triggers only note the rows; one statement indexes the batch.
  const defer = c.prepare('insert or ignore into articles_fts_deferred (id) values (1)')
  const index = c.prepare(`insert into articles_fts (rowid, headline, summary, body_text)
    select a.doc_id, a.headline, a.summary, a.body_text from articles_fts_pending p cross join articles a on a.doc_id = p.doc_id order by p.doc_id`)
  const undefer = [c.prepare('delete from articles_fts_pending'), c.prepare('delete from articles_fts_deferred')]
  const cpu = process.cpuUsage()
  const started = performance.now()
  for (let at = 0; at < rows.length; at += batch) {
    c.transaction(() => {
      defer.run()
      for (const { row, tags, snapshot } of rows.slice(at, at + batch)) {
        article.run(row)
        if (has('its tags')) tags.forEach((tagId, position) => tag.run(row.id, tagId, position))
        if (has('its revision')) revision.run(row.id, row.created_at, snapshot)
        if (has('its change event')) event.run(row.id, row.created_at, row.created_at)
      }
      if (has('the search index (one statement per batch)')) index.run()
      for (const statement of undefer) statement.run()
    }).immediate()
  }
  return measured(cpu, started)
}

function measured(cpu: NodeJS.CpuUsage, started: number) {
  const used = process.cpuUsage(cpu)
  return { cpuUs: (used.user + used.system) / count, rate: count / ((performance.now() - started) / 1000) }
}

/** FTS5 alone on the same texts: an in-memory table with the app's tokenizer, a statement per batch. */
function searchIndexAlone() {
  const db = new Database(':memory:')
  db.exec(`create virtual table f using fts5(headline, summary, body_text, tokenize='porter unicode61 remove_diacritics 2')`)
  const insert = db.prepare('insert into f (headline, summary, body_text) select value ->> 0, value ->> 1, value ->> 2 from json_each(?)')
  const docs = [...syntheticArticles(count, 43, base)].map((a) => [a.headline, a.summary, renderBody(a.body, 'text').text])
  const cpu = process.cpuUsage()
  const started = performance.now()
  for (let at = 0; at < docs.length; at += batch) db.transaction(() => insert.run(JSON.stringify(docs.slice(at, at + batch))))()
  const result = measured(cpu, started)
  db.close()
  return result
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-US')
const median = (runs: Run[]) => {
  const sorted = [...runs].sort((a, b) => a.cpuUs - b.cpuUs)
  return sorted[Math.floor(sorted.length / 2)]!
}
type Run = ReturnType<typeof measured>

async function importPath(db: Db): Promise<Run> {
  const cpu = process.cpuUsage()
  const started = performance.now()
  await importLines(db, syntheticLines(count, 43, nextFirst()), count, 'Import path')
  return measured(cpu, started)
}

try {
  let shared: Db | undefined
  if (base > 0) {
    copyFileSync((await cachedDatabase(base)).path, join(dir, 'shared.db'))
    shared = openDatabase(join(dir, 'shared.db'))
  }
  const floors: Run[][] = PARTS.map(() => [])
  const paths: Run[] = []
  for (let round = 0; round < rounds; round++) {
    for (const i of PARTS.keys()) {
      const db = await databaseForRun(shared)
      floors[i]!.push(writeFloor(db, i))
      done(db)
    }
    const db = await databaseForRun(shared)
    paths.push(await importPath(db))
    done(db)
  }
  shared?.$client.close()

  const into = base === 0 ? 'an empty database' : `${fmt(base)} articles`
  console.log(`${fmt(count)} articles a run into ${into}${base > 0 ? ' (one copy, growing by each run)' : ''}, transactions of ${batch}, median of ${rounds} rounds\n`)
  console.log('| SQLite alone, raw statements | µs CPU per article | of it, this part | articles/s |')
  console.log('|---|---:|---:|---:|')
  let previous = 0
  for (const [i, part] of PARTS.entries()) {
    const floor = median(floors[i]!)
    console.log(`| ${i === 0 ? '' : '+ '}${part} | ${fmt(floor.cpuUs)} | ${fmt(floor.cpuUs - previous)} | ${fmt(floor.rate)} |`)
    previous = floor.cpuUs
  }
  const alone = searchIndexAlone()
  console.log(`| the search index alone (FTS5 in memory, same texts) | ${fmt(alone.cpuUs)} | | ${fmt(alone.rate)} |`)
  const floor = median(floors.at(-1)!)
  const path = median(paths)
  console.log(`\n| import path (bulk service) | µs CPU per article | articles/s | × the floor's rate |`)
  console.log('|---|---:|---:|---:|')
  console.log(`| lines alike | ${fmt(path.cpuUs)} | ${fmt(path.rate)} | ${(path.rate / floor.rate).toFixed(2)} × |`)
  console.log(`\n20,000 articles/s leaves 50 µs per article; 5,000/s leaves 200 µs.`)
} finally {
  rmSync(dir, { recursive: true, force: true })
}
