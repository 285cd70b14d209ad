// Import speed: articles per second through the bulk import path (`npm run cli -- import FILE`:
// the file read as a stream, batches of lines, one transaction each), into an empty database and
// into one that already holds N articles and their search index (the cached database of
// bench/load.ts, copied so the cache stays as it is), then the same lines again (all unchanged).
// Run with: npx tsx bench/import-speed.ts [--articles 100000] [--lines 20000]
import { copyFileSync, createReadStream, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { loadConfig } from '../src/config.js'
import { openDatabase, type Db } from '../src/db/client.js'
import { createArticlesService } from '../src/modules/articles/articles.service.js'
import { createBulkService } from '../src/modules/bulk/bulk.service.js'
import { readLines } from '../src/modules/bulk/ndjson.js'
import { seedCatalog, syntheticLines, writeLines } from './data.js'
import { cachedDatabase, writtenBytes } from './load.js'

/**
 * Imports an NDJSON file as the CLI does; CPU seconds too, since wall time on a shared machine is
 * noisy, and the bytes written, since at scale the import waits on its writes.
 */
async function importFile(db: Db, path: string) {
  const deps = { db, clock: Date.now, config: loadConfig({}) }
  const bulk = createBulkService(deps, createArticlesService(deps))
  const written = writtenBytes()
  const cpu = process.cpuUsage()
  const started = performance.now()
  const report = await bulk.importLines(readLines(createReadStream(path)), {
    actor: 'bench',
    createMissing: false,
    atomic: false,
    dryRun: false,
  })
  const seconds = (performance.now() - started) / 1000
  const used = process.cpuUsage(cpu)
  if (report.summary.failed > 0) throw new Error(`${report.summary.failed} lines failed: ${JSON.stringify(report.results.find((r) => r.status === 'failed'))}`)
  return { seconds, cpuSeconds: (used.user + used.system) / 1e6, bytes: writtenBytes() - written, summary: report.summary }
}

async function main() {
  const { values } = parseArgs({ options: { articles: { type: 'string', default: '100000' }, lines: { type: 'string', default: '20000' } } })
  const base = Number(values.articles)
  const count = Number(values.lines)
  const { path: cached, loaded } = await cachedDatabase(base)
  const dir = mkdtempSync(join(tmpdir(), 'newsdesk-import-'))
  try {
    // New articles for both databases: externalIds after the cached ones, another seed.
    const file = join(dir, 'lines.ndjson')
    await writeLines(file, syntheticLines(count, 43, base))

    const empty = openDatabase(join(dir, 'empty.db'))
    seedCatalog(empty)
    const intoEmpty = await importFile(empty, file)
    empty.$client.close()

    copyFileSync(cached, join(dir, 'full.db'))
    const full = openDatabase(join(dir, 'full.db'))
    const intoFull = await importFile(full, file)
    const again = await importFile(full, file)
    full.$client.close()

    const fmt = (n: number) => Math.round(n).toLocaleString('en-US')
    const row = (label: string, r: { seconds: number; cpuSeconds: number; bytes: number; summary: { lines: number } }) =>
      `| ${label} | ${fmt(r.summary.lines)} | ${r.seconds.toFixed(1)} | ${fmt(r.summary.lines / r.seconds)} | ${fmt(r.summary.lines / r.cpuSeconds)} | ${fmt(r.bytes / r.summary.lines / 1024)} |`
    console.log('| import | articles | seconds | articles/s | articles per CPU-second | KB written per article |')
    console.log('|---|---:|---:|---:|---:|---:|')
    if (loaded) console.log(`| ${fmt(base)} into an empty database (loading the cache) | ${fmt(base)} | ${loaded.seconds.toFixed(1)} | ${fmt(loaded.rate)} | | |`)
    console.log(row('into an empty database', intoEmpty))
    console.log(row(`into ${fmt(base)} articles (with the search index)`, intoFull))
    console.log(row('the same lines again (all unchanged)', again))
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

await main()
