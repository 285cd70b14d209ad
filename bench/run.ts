// npm run bench [-- --articles 100000] [--workers 1,2] [--cache on,off] [--seconds 5] [--warmup 2] [--connections 10]
//   [--scenarios "get by slug,list newest"] [--profile] [--no-build] [--no-import] [--server-root DIR]
// Builds, loads (or reuses) the cached database, then for each WORKERS value starts the real
// compiled server on a copy of it, and a bare Fastify baseline serving the same bytes, and drives
// every scenario with autocannon, one at a time. Writes the markdown table to stdout and to
// bench/results/<timestamp>.md (with a .json beside it). See bench/README.md.
import { execFileSync } from 'node:child_process'
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { openDatabase } from '../src/db/client.js'
import { seedCatalog, syntheticLines } from './data.js'
import { drive, peakRssBytes, processTree, type Measurement, type Scenario } from './drive.js'
import { cachedDatabase, importLines, type ImportResult } from './load.js'
import { machine } from './proc.js'
import { summarizeProfiles } from './profile.js'
import { baselineRate, judgedRun, settingOf, toMarkdown, type Report, type RunResult } from './report.js'
import { deepCursor, readFixtures, scenarios } from './scenarios.js'
import { ROOT, startBaseline, startServer } from './servers.js'

const { values } = parseArgs({
  options: {
    articles: { type: 'string', default: '10000' },
    workers: { type: 'string', default: '1' },
    // The response cache: `on` (the default configuration), `off` (every request built), or both.
    cache: { type: 'string', default: 'on' },
    seconds: { type: 'string', default: '5' },
    warmup: { type: 'string', default: '2' },
    connections: { type: 'string', default: '10' },
    scenarios: { type: 'string' },
    profile: { type: 'boolean', default: false },
    'no-build': { type: 'boolean', default: false },
    'no-import': { type: 'boolean', default: false },
    // Serve another checkout's dist/ (built there) on the same data: before/after comparisons.
    'server-root': { type: 'string' },
  },
})
const articles = Number(values.articles)
const workersList = values.workers.split(',').map(Number)
const cacheList = values.cache.split(',').map((s) => s.trim() === 'on')
const drive_ = { seconds: Number(values.seconds), warmupSeconds: Number(values.warmup), connections: Number(values.connections) }
const wanted = values.scenarios?.split(',').map((s) => s.trim().toLowerCase())
/** Articles per import-speed measurement: enough for a stable rate at today's speed (bench/README.md). */
const IMPORT_SAMPLE = 1000
const RESULTS = join(ROOT, 'bench', 'results')
const startedAt = new Date().toISOString().replace(/\.\d+Z$/, 'Z')
const stamp = startedAt.replace(/[:]/g, '-')
const log = (message: string) => console.error(`[bench] ${message}`)

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number }
      server.close(() => resolve(port))
    })
    server.on('error', reject)
  })
}

const removeDatabase = (path: string) => {
  for (const suffix of ['', '-wal', '-shm']) rmSync(path + suffix, { force: true })
}

/** Import speed: IMPORT_SAMPLE new articles into an empty database, and into a copy of the cached one. */
async function measureImports(cached: string, work: string): Promise<Report['imports']> {
  const imports: Report['imports'] = []
  const fresh = openDatabase(join(work, 'empty.db'))
  seedCatalog(fresh)
  imports.push({ label: 'into an empty database', result: await importLines(fresh, syntheticLines(IMPORT_SAMPLE, 7, 10_000_000), IMPORT_SAMPLE, 'Import into empty') })
  fresh.$client.close()
  copyFileSync(cached, join(work, 'full.db'))
  const full = openDatabase(join(work, 'full.db'))
  const label = `into a ${articles.toLocaleString('en-US')}-article database`
  imports.push({ label, result: await importLines(full, syntheticLines(IMPORT_SAMPLE, 7, 10_000_000), IMPORT_SAMPLE, `Import ${label}`) })
  full.$client.close()
  removeDatabase(join(work, 'full.db'))
  return imports
}

async function runSetting(cached: string, work: string, workers: number, responseCache: boolean): Promise<RunResult> {
  const name = `w${workers}-cache-${responseCache ? 'on' : 'off'}`
  const databasePath = join(work, `serve-${name}.db`)
  copyFileSync(cached, databasePath)
  // Let the copy reach the disk first: at 1,000,000 articles its 20 GB of dirty pages would
  // otherwise be written back during the first scenarios.
  execFileSync('sync')
  const fixtures = readFixtures(databasePath)
  const profileDir = join(RESULTS, 'profiles', `${stamp}-${name}`)
  const server = await startServer({
    databasePath,
    port: await freePort(),
    workers,
    responseCache,
    ...(values['server-root'] ? { root: values['server-root'] } : {}),
    nodeArgs: values.profile ? ['--cpu-prof', '--cpu-prof-dir', profileDir] : [],
  })
  let baseline: Awaited<ReturnType<typeof startBaseline>> | undefined
  try {
    const all = scenarios({ ...fixtures, deepCursor: await deepCursor(server.url) })
    const chosen = wanted ? all.filter((s) => wanted.some((w) => s.name.toLowerCase().startsWith(w))) : all
    // The baseline serves the exact bytes and Content-Type of a real article response.
    const sample = await fetch(`${server.url}/v1/articles/${fixtures.articles[0]!.slug}`)
    const bodyFile = join(work, 'article.json')
    writeFileSync(bodyFile, Buffer.from(await sample.arrayBuffer()))
    baseline = await startBaseline({ bodyFile, contentType: sample.headers.get('content-type')!, port: await freePort() })
    const base: Scenario = { name: 'baseline', expect: [200], requests: [{ path: '/baseline' }] }
    const measure = async (url: string, pid: number, scenario: Scenario): Promise<Measurement> => {
      log(`${settingOf(result)}: ${scenario.name}`)
      return drive(url, pid, scenario, drive_)
    }
    const result: RunResult = { workers, responseCache, baseline: [], scenarios: [], peakRssBytes: 0 }
    result.baseline.push(await measure(baseline.url, baseline.process.pid!, base))
    for (const scenario of chosen) result.scenarios.push(await measure(server.url, server.process.pid!, scenario))
    result.baseline.push(await measure(baseline.url, baseline.process.pid!, base))
    result.peakRssBytes = peakRssBytes(processTree(server.process.pid!))
    log(`${settingOf(result)}: baseline ${Math.round(baselineRate(result))} req/s`)
    return result
  } finally {
    await baseline?.stop()
    await server.stop()
    // A copy of 1,000,000 articles is about 20 GB: one at a time.
    removeDatabase(databasePath)
    if (values.profile) console.log(summarizeProfiles(profileDir))
  }
}

/** get-by-slug and first-page throughput (as ratios to their baselines) against earlier results of other sizes. */
function growth(report: Report): string[] {
  const run = judgedRun(report.runs)
  if (!run) return []
  const earlier: Report[] = []
  for (const file of readdirSync(RESULTS).filter((f) => f.endsWith('.json')).sort()) {
    const other = JSON.parse(readFileSync(join(RESULTS, file), 'utf8')) as Report
    if (other.articles !== report.articles && judgedRun(other.runs)?.responseCache === run.responseCache) earlier.push(other)
  }
  const latestBySize = new Map(earlier.map((r) => [r.articles, r]))
  if (latestBySize.size === 0) return []
  const ratio = (r: RunResult, prefix: string) => {
    const m = r.scenarios.find((s) => s.name.startsWith(prefix))
    return m ? m.requestsPerSecond / baselineRate(r) : undefined
  }
  // The growth target: from the smallest size to the largest, each drops by under 20%.
  const sizes = [...latestBySize.values(), report].sort((a, b) => a.articles - b.articles)
  const smallest = judgedRun(sizes[0]!.runs)!
  const cell = (r: RunResult, prefix: string) => {
    const now = ratio(r, prefix)
    const first = ratio(smallest, prefix)
    if (now === undefined) return '—'
    const change = first === undefined || r === smallest ? '' : ` (${now >= first ? '+' : ''}${Math.round((now / first - 1) * 100)}%)`
    return `${now.toFixed(2)}${change}`
  }
  const lines = [
    `## Growth (× baseline, ${settingOf(run)}, against the latest results of other sizes; in brackets, the change from ${sizes[0]!.articles.toLocaleString('en-US')})`,
    '',
    '| articles | get by slug | list newest 20 | when |',
    '|---:|---:|---:|---|',
  ]
  for (const r of sizes) {
    const w1 = judgedRun(r.runs)!
    lines.push(`| ${r.articles.toLocaleString('en-US')} | ${cell(w1, 'get by slug')} | ${cell(w1, 'list newest')} | ${r.startedAt} |`)
  }
  return lines
}

async function main() {
  if (!values['no-build'] && !values['server-root']) {
    log('npm run build')
    execFileSync('npm', ['run', '-s', 'build'], { cwd: ROOT, stdio: 'inherit' })
  }
  const { path: cached, loaded } = await cachedDatabase(articles)
  log(loaded ? `loaded ${articles} articles at ${Math.round(loaded.rate)}/s into ${cached}` : `reusing ${cached}`)
  const work = mkdtempSync(join(tmpdir(), 'newsdesk-bench-'))
  try {
    const imports: { label: string; result: ImportResult }[] = []
    if (loaded) imports.push({ label: `the cached database (${articles.toLocaleString('en-US')}, empty at start)`, result: loaded })
    if (!values['no-import']) imports.push(...(await measureImports(cached, work)))
    const runs: RunResult[] = []
    for (const workers of workersList) for (const cache of cacheList) runs.push(await runSetting(cached, work, workers, cache))
    const { model, cores, memoryGb } = machine()
    const report: Report = {
      startedAt,
      machine: { model, cores, memoryGb },
      node: process.version,
      articles,
      serverRoot: values['server-root'],
      seconds: drive_.seconds,
      connections: drive_.connections,
      runs,
      imports,
    }
    mkdirSync(RESULTS, { recursive: true })
    const markdown = toMarkdown(report, growth(report))
    writeFileSync(join(RESULTS, `${stamp}-${articles}.md`), markdown)
    // Only complete runs feed later growth comparisons.
    if (!wanted && !values['server-root']) writeFileSync(join(RESULTS, `${stamp}-${articles}.json`), JSON.stringify(report, null, 2))
    console.log(markdown)
    log(`written to bench/results/${stamp}-${articles}.md`)
  } finally {
    rmSync(work, { recursive: true, force: true })
  }
}

await main()
