import { setImmediate } from 'node:timers/promises'
import { and } from 'drizzle-orm'
import type { Deps } from '../../deps.js'
import { canSeeUnpublished, type Viewer } from '../../http/auth.js'
import { HttpProblem } from '../../http/errors.js'
import { statusIs } from '../articles/article-queries.js'
import { createArticlesRepository } from '../articles/articles.repository.js'
import { ArticleSchema, type Article } from '../articles/articles.schemas.js'
import type { Actor, ArticlesService, UpsertOutcome } from '../articles/articles.service.js'
import { toNinjs } from '../articles/ninjs.js'
import { isVisible, visibleTo } from '../articles/visibility.js'
import type { ExportFormat, ImportLineResult, ImportQuery, ImportReport } from './bulk.schemas.js'
import { createMissingReferences, parseLine, toUpsert } from './import-line.js'
import type { NdjsonLine } from './ndjson.js'

/** Rows per export page: a few MB of articles in memory at a time, whatever the total. */
export const EXPORT_PAGE_SIZE = 200
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

const ARTICLE_KEYS = Object.keys(ArticleSchema.shape) as (keyof Article)[]

/** The article with its keys in the order GET /v1/articles/{id} writes them. */
const inResponseOrder = (article: Article) => Object.fromEntries(ARTICLE_KEYS.map((key) => [key, article[key]]))

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

  /** One batch through the articles service; every line's result is added to `report`. */
  function run(batch: NdjsonLine[], options: ImportOptions, report: ImportOutcome) {
    const { outcomes, rolledBack } = articles.upsertMany(batch, {
      actor: options.actor,
      atomic: options.atomic,
      dryRun: options.dryRun,
      toInput: ({ text }) => {
        const line = parseLine(text)
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
     * Every article the viewer may export, one NDJSON line each, oldest stored first: anonymous
     * readers (and read keys) get what the public list shows, write keys every article not in the
     * trash. Pages of EXPORT_PAGE_SIZE rows by doc_id, pulled only as fast as the consumer reads,
     * so memory stays flat however many articles there are.
     */
    async *exportLines(viewer: Viewer, format: ExportFormat, baseUrl: string): AsyncGenerator<string> {
      const now = deps.clock()
      const where = canSeeUnpublished(viewer) ? visibleTo(viewer, now) : and(...statusIs('published', now), visibleTo(null, now))
      for (let after = 0; ; ) {
        const rows = repo.rowsAfter(where, after, EXPORT_PAGE_SIZE)
        const page = repo.toArticles(rows, now)
        for (let i = 0; i < page.length; i++) {
          const article = page[i]!
          const document =
            format === 'ninjs'
              ? toNinjs(article, { baseUrl, publiclyVisible: isVisible(rows[i]!, null, now) })
              : inResponseOrder(article)
          yield `${JSON.stringify(document)}\n`
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
