// Loads N synthetic articles (bench/data.ts) through the bulk import service, the code path of
// `npm run cli -- import` and POST /v1/import (batches of lines, one transaction each), into a
// database cached under bench/.cache/, keyed by size, generator version and migrations, so that
// repeated runs reuse it. Run alone with: npx tsx bench/load.ts [--articles 100000]
import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { parseArgs } from 'node:util'
import { SingleBar } from 'cli-progress'
import { loadConfig } from '../src/config.js'
import { MIGRATIONS_FOLDER, openDatabase, type Db } from '../src/db/client.js'
import { createArticlesService } from '../src/modules/articles/articles.service.js'
import { createBulkService } from '../src/modules/bulk/bulk.service.js'
import type { NdjsonLine } from '../src/modules/bulk/ndjson.js'
import { GENERATOR_VERSION, seedCatalog, syntheticLines } from './data.js'

export const CACHE_DIR = fileURLToPath(new URL('./.cache/', import.meta.url))

/** What invalidates a cached database: the generator and the schema it was loaded into. */
function cacheKey(articles: number): string {
  const journal = readFileSync(join(MIGRATIONS_FOLDER, 'meta', '_journal.json'))
  const schema = createHash('sha256').update(journal).digest('hex').slice(0, 8)
  return `articles-${articles}-g${GENERATOR_VERSION}-m${schema}.db`
}

async function* asLines(lines: Iterable<string>): AsyncGenerator<NdjsonLine> {
  let line = 0
  for (const text of lines) yield { line: ++line, text }
}

/** Bytes this process has written so far (Linux /proc/self/io `wchar`; 0 elsewhere): an import's WAL and checkpoints. */
export function writtenBytes(): number {
  try {
    return Number(/^wchar: (\d+)$/m.exec(readFileSync('/proc/self/io', 'utf8'))?.[1] ?? 0)
  } catch {
    return 0
  }
}

export type ImportResult = { articles: number; seconds: number; rate: number }

/**
 * Imports `lines` through the bulk service (as the CLI does: createMissing off, not atomic),
 * with a progress bar on a terminal; throws if any line fails. Returns articles per second.
 */
export async function importLines(db: Db, lines: Iterable<string>, total: number, label = 'Importing'): Promise<ImportResult> {
  const deps = { db, clock: Date.now, config: loadConfig({}) }
  const bulk = createBulkService(deps, createArticlesService(deps))
  const bar = process.stderr.isTTY
    ? new SingleBar({ format: `${label} {bar} {percentage}% | {value}/{total} | {rate} articles/s | ETA {eta_formatted}`, etaBuffer: 20 })
    : undefined
  bar?.start(total, 0, { rate: 0 })
  const started = performance.now()
  let lastPlain = started
  const report = await bulk.importLines(asLines(lines), {
    actor: 'bench',
    createMissing: false,
    atomic: false,
    dryRun: false,
    onProgress: ({ summary }) => {
      const now = performance.now()
      const rate = Math.round(summary.lines / ((now - started) / 1000))
      bar?.update(summary.lines, { rate })
      if (!bar && now - lastPlain > 5000) {
        lastPlain = now
        console.error(`  ${label}: ${summary.lines}/${total} (${rate} articles/s)`)
      }
    },
  })
  bar?.stop()
  const seconds = (performance.now() - started) / 1000
  if (report.summary.failed > 0) {
    const failed = report.results.find((r) => r.status === 'failed')
    throw new Error(`${report.summary.failed} lines failed, e.g. ${JSON.stringify(failed)}`)
  }
  return { articles: report.summary.lines, seconds, rate: report.summary.lines / seconds }
}

/**
 * The cached database holding `articles` synthetic articles, loaded first if it is not there
 * (into a temporary file, renamed when complete, so an interrupted load is never reused).
 */
export async function cachedDatabase(articles: number): Promise<{ path: string; loaded?: ImportResult }> {
  mkdirSync(CACHE_DIR, { recursive: true })
  const path = join(CACHE_DIR, cacheKey(articles))
  if (existsSync(path)) return { path }
  const partial = `${path}.partial`
  for (const suffix of ['', '-wal', '-shm']) rmSync(partial + suffix, { force: true })
  const db = openDatabase(partial)
  seedCatalog(db)
  const loaded = await importLines(db, syntheticLines(articles), articles, `Loading ${articles.toLocaleString('en-US')} articles`)
  db.$client.pragma('wal_checkpoint(TRUNCATE)')
  db.$client.close()
  renameSync(partial, path)
  for (const suffix of ['-wal', '-shm']) rmSync(partial + suffix, { force: true })
  return { path, loaded }
}

async function main() {
  const { values } = parseArgs({ options: { articles: { type: 'string', default: '10000' } } })
  const { path, loaded } = await cachedDatabase(Number(values.articles))
  if (loaded) console.log(`Loaded ${loaded.articles} articles in ${loaded.seconds.toFixed(1)} s (${Math.round(loaded.rate)} articles/s): ${path}`)
  else console.log(`Cached: ${path}`)
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main()
