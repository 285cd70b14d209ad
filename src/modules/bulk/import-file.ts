import { createReadStream } from 'node:fs'
import { SingleBar } from 'cli-progress'
import type { Db } from '../../db/client.js'
import type { Config } from '../../config.js'
import { createArticlesService } from '../articles/articles.service.js'
import type { ImportQuery, ImportReport } from './bulk.schemas.js'
import { createBulkService, type ImportOutcome } from './bulk.service.js'
import { readLines } from './ndjson.js'

type Output = { out: (line: string) => void; err: (line: string) => void }
/** Where the progress bar goes: a terminal only; piped output gets a plain line now and then. */
type ProgressStream = NodeJS.WritableStream & { isTTY?: boolean }

const PLAIN_PROGRESS_EVERY_MS = 5000

/** How many lines a file has, read as a stream (constant memory): the progress bar's total. */
async function countLines(path: string): Promise<number> {
  let lines = 0
  let last = 10
  for await (const chunk of createReadStream(path) as AsyncIterable<Buffer>) {
    for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) lines++
    last = chunk[chunk.length - 1] ?? last
  }
  return last === 10 ? lines : lines + 1
}

const perSecond = (count: number, ms: number) => Math.round(count / Math.max(ms / 1000, 0.001)).toLocaleString('en-US')

/** Follows an import on a terminal with a bar (rate and ETA), elsewhere with a plain line every few seconds. */
function progressOf(total: number, stream: ProgressStream, io: Output) {
  const started = Date.now()
  if (stream.isTTY) {
    const bar = new SingleBar({
      stream,
      format: 'Importing {bar} {percentage}% | {value}/{total} lines | {rate} articles/s | ETA {eta_formatted}',
      hideCursor: true,
      etaBuffer: 20,
    })
    bar.start(total, 0, { rate: '0' })
    return {
      update: (line: number, done: number) => bar.update(line, { rate: perSecond(done, Date.now() - started) }),
      stop: () => bar.stop(),
    }
  }
  let printed = started
  return {
    update(line: number, done: number) {
      if (Date.now() - printed < PLAIN_PROGRESS_EVERY_MS) return
      printed = Date.now()
      io.err(`Importing: ${line}/${total} lines, ${perSecond(done, printed - started)} articles/s`)
    },
    stop() {},
  }
}

function describe(report: ImportOutcome, options: ImportQuery, file: string, ms: number): string {
  const { lines, created, updated, unchanged, failed } = report.summary
  const counts = `${lines} lines: ${created} created, ${updated} updated, ${unchanged} unchanged, ${failed} failed`
  const speed = `in ${(ms / 1000).toFixed(1)} s, ${perSecond(lines, ms)} lines/s`
  if (report.rolledBack) return `Nothing was imported from ${file} (--atomic): a line failed. ${counts}.`
  return `${options.dryRun ? 'Dry run, nothing written: ' : 'Imported '}${file}, ${counts} (${speed}).`
}

/** Why each failed line failed, one line each: the fields at fault (pointers into the line), else the detail. */
function failures(results: ImportReport['results']): string[] {
  return results.flatMap(({ line, status, problem }) => {
    if (status !== 'failed' || !problem) return []
    const errors = problem.errors ?? []
    const why = errors.length > 0 ? errors.map((e) => `${e.pointer ? `${e.pointer} ` : ''}${e.message}`).join('; ') : problem.detail
    return [`line ${line}: ${problem.status} ${why}`]
  })
}

/**
 * `npm run cli -- import FILE`: upserts the NDJSON file's articles straight into the database,
 * through the same service as POST /v1/import, with a progress bar and a summary. Exit code 0
 * when every line was imported, 1 when any failed.
 */
export async function importFileCommand(
  db: Db,
  config: Config,
  file: string,
  options: ImportQuery,
  io: Output,
  progressStream: ProgressStream = process.stderr,
): Promise<number> {
  const deps = { db, clock: Date.now, config }
  const bulk = createBulkService(deps, createArticlesService(deps))
  const total = await countLines(file)
  const progress = progressOf(total, progressStream, io)
  const started = Date.now()
  let report: ImportOutcome
  try {
    report = await bulk.importLines(readLines(createReadStream(file)), {
      ...options,
      actor: 'cli import',
      onProgress: ({ results, summary }) => progress.update(results.at(-1)?.line ?? 0, summary.lines),
    })
  } finally {
    progress.stop()
  }
  for (const failure of failures(report.results)) io.err(failure)
  io.out(describe(report, options, file, Date.now() - started))
  return report.summary.failed > 0 ? 1 : 0
}
