import { setImmediate } from 'node:timers/promises'
import { and } from 'drizzle-orm'
import type { Deps } from '../../deps.js'
import { canSeeUnpublished, type Viewer } from '../../http/auth.js'
import { HttpProblem } from '../../http/errors.js'
import { statusIs } from '../articles/list-sql.js'
import { createArticlesRepository } from '../articles/articles.repository.js'
import { ArticleSchema, type Article } from '../articles/articles.schemas.js'
import type { Actor, ArticlesService, UpsertOutcome } from '../articles/articles.service.js'
import { toNinjs } from '../articles/ninjs.js'
import { isVisible, visibleTo } from '../articles/visibility.js'
import type { ExportFormat, ImportLineResult, ImportQuery, ImportReport } from './bulk.schemas.js'
import { createMissingReferences, parseLine, toUpsert } from './import-line.js'
import type { NdjsonLine } from './ndjson.js'

/**
 * Rows per export page: well under a MB of articles in memory at a time, whatever the total, and
 * short enough to render (a few ms) that requests served alongside an export barely wait.
 */
export const EXPORT_PAGE_SIZE = 50
/**
 * Lines per import transaction: at most IMPORT_BATCH_SIZE, and as many as take about
 * BATCH_TARGET_MS, since a transaction holds the one connection (and the event loop) while it
 * runs: requests served alongside an import wait at most about that long.
 */
export const IMPORT_BATCH_SIZE = 1000
const BATCH_TARGET_MS = 100
const FIRST_BATCH_SIZE = 50
const nextBatchSize = (lines: number, ms: number) =>
  Math.max(10, Math.min(IMPORT_BATCH_SIZE, Math.floor((lines * BATCH_TARGET_MS) / Math.max(ms, 1))))
/**
 * WAL pages between automatic checkpoints while an import runs (40 MB; SQLite's default is 4 MB).
 * A checkpoint copies the WAL into the database file and fsyncs both: an import writes so much
 * that at the default every batch paid for one. Less often, there are fewer fsyncs, and an index
 * page that several batches changed is copied once. Durability is the same (synchronous=NORMAL).
 */
const IMPORT_WAL_AUTOCHECKPOINT = 10_000

const ARTICLE_KEYS = Object.keys(ArticleSchema.shape) as (keyof Article)[]

/** The article with its keys in the order GET /v1/articles/{id} writes them (one object, no entry arrays). */
function inResponseOrder(article: Article): Record<string, unknown> {
  const ordered: Record<string, unknown> = {}
  for (const key of ARTICLE_KEYS) ordered[key] = article[key]
  return ordered
}

export const lineProblem = (problem: HttpProblem) => ({
  type: `/problems/${problem.type}`,
  title: problem.title,
  status: problem.status,
  detail: problem.detail,
  ...problem.extensions,
})

export type ImportOptions = ImportQuery & { actor: Actor; onProgress?: (report: ImportReport) => void }
export type ImportOutcome = ImportReport & { rolledBack: boolean }

export function createBulkService(deps: Deps, articles: ArticlesService) {
  const repo = createArticlesRepository(deps.db)

  // Imports under way on this connection (requests may overlap): the first one raises the
  // checkpoint interval, the last one puts it back.
  let imports = 0
  let walAutocheckpoint = 0
  function importing(): () => void {
    const sqlite = deps.db.$client
    if (imports++ === 0) {
      walAutocheckpoint = sqlite.pragma('wal_autocheckpoint', { simple: true }) as number
      sqlite.pragma(`wal_autocheckpoint = ${Math.max(walAutocheckpoint, IMPORT_WAL_AUTOCHECKPOINT)}`)
    }
    return () => {
      if (--imports === 0 && sqlite.open) sqlite.pragma(`wal_autocheckpoint = ${walAutocheckpoint}`)
    }
  }

  /** One batch through the articles service; every line's result is added to `report`. */
  function run(batch: NdjsonLine[], options: ImportOptions, report: ImportOutcome) {
    // Parsed and validated before the transaction opens: it needs no database, so the write
    // lock is held only for the writes. A bad line's problem is thrown again in its turn.
    const lines = batch.map(({ text }) => {
      try {
        return parseLine(text)
      } catch (error) {
        if (error instanceof HttpProblem) return error
        throw error
      }
    })
    const { outcomes, rolledBack } = articles.upsertMany(lines, {
      actor: options.actor,
      atomic: options.atomic,
      dryRun: options.dryRun,
      toInput: (line) => {
        if (line instanceof HttpProblem) throw line
        if (options.createMissing) createMissingReferences(deps, deps.db, line)
        return toUpsert(line)
      },
    })
    let results = outcomes.map((outcome, i) => toResult(batch[i]!.line, outcome, options.dryRun))
    // An atomic import that failed wrote nothing: only the line that failed is worth reporting.
    if (rolledBack && options.atomic) results = results.filter((r) => r.status === 'failed')
    report.rolledBack ||= rolledBack && options.atomic
    for (const result of results) {
      report.results.push(result)
      report.summary[result.status]++
    }
  }

  return {
    /**
     * Every article the viewer may export, one JSON text each (NDJSON lines without their \n),
     * oldest stored first: anonymous readers (and read keys) get what the public list shows, write
     * keys every article not in the trash. Synchronous, like SQLite: a page of EXPORT_PAGE_SIZE rows
     * by doc_id is read only when the previous one has been taken, so a consumer that pulls lines as
     * the client reads them (ndjsonStream) keeps memory flat however many articles there are.
     */
    *exportLines(viewer: Viewer, format: ExportFormat, baseUrl: string): Generator<string, void, undefined> {
      const now = deps.clock()
      const where = canSeeUnpublished(viewer) ? visibleTo(viewer, now) : and(...statusIs('published', now), visibleTo(null, now))
      for (let after = 0; ; ) {
        const rows = repo.rowsAfter(where, after, EXPORT_PAGE_SIZE)
        const page = repo.toArticles(rows, now)
        for (let i = 0; i < page.length; i++) {
          const article = page[i]!
          yield JSON.stringify(
            format === 'ninjs' ? toNinjs(article, { baseUrl, publiclyVisible: isVisible(rows[i]!, null, now) }) : inResponseOrder(article),
          )
        }
        if (rows.length < EXPORT_PAGE_SIZE) return
        after = rows[rows.length - 1]!.docId
      }
    },

    /**
     * Upserts the articles of NDJSON lines (see articles.service upsert), a batch of lines per
     * transaction as they arrive. `atomic` and `dryRun` need every line in one transaction,
     * so they read the whole input first.
     */
    async importLines(lines: AsyncIterable<NdjsonLine>, options: ImportOptions): Promise<ImportOutcome> {
      const report: ImportOutcome = {
        summary: { lines: 0, created: 0, updated: 0, unchanged: 0, failed: 0 },
        results: [],
        rolledBack: false,
      }
      const whole = options.atomic || options.dryRun
      let batch: NdjsonLine[] = []
      let size = FIRST_BATCH_SIZE
      const done = importing()
      try {
        for await (const line of lines) {
          report.summary.lines++
          batch.push(line)
          if (!whole && batch.length >= size) {
            const started = performance.now()
            run(batch, options, report)
            size = nextBatchSize(batch.length, performance.now() - started)
            batch = []
            options.onProgress?.(report)
            await setImmediate() // let requests waiting on the event loop in between batches
          }
        }
        if (batch.length > 0) run(batch, options, report)
      } finally {
        done()
      }
      options.onProgress?.(report)
      return report
    },
  }
}

function toResult(line: number, outcome: UpsertOutcome, dryRun: boolean): ImportLineResult {
  if (outcome instanceof HttpProblem) return { line, status: 'failed', problem: lineProblem(outcome) }
  return dryRun && outcome.status === 'created' ? { line, status: 'created' } : { line, status: outcome.status, id: outcome.id }
}

export type BulkService = ReturnType<typeof createBulkService>
