// Where an import's CPU goes: imports N synthetic articles into an empty database (or a copy of
// the cached one with --into N) with the V8 profiler on for the import only, writes the
// .cpuprofile and prints bench/profile.ts's summary, plus microseconds per article.
// Run with: npx tsx bench/import-profile.ts [--lines 3000] [--into 0] [--out bench/results/profiles/import] [--no-profile]
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { Session } from 'node:inspector/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { openDatabase } from '../src/db/client.js'
import { seedCatalog, syntheticLines } from './data.js'
import { cachedDatabase, importLines, writtenBytes } from './load.js'
import { summarizeProfiles } from './profile.js'

const { values } = parseArgs({
  allowNegative: true,
  options: {
    lines: { type: 'string', default: '3000' },
    into: { type: 'string', default: '0' },
    out: { type: 'string', default: 'bench/results/profiles/import' },
    top: { type: 'string', default: '30' },
    // --no-profile: only the figures, without the profiler's overhead.
    profile: { type: 'boolean', default: true },
  },
})
const count = Number(values.lines)
const base = Number(values.into)
const dir = mkdtempSync(join(tmpdir(), 'newsdesk-import-profile-'))
try {
  const path = join(dir, 'import.db')
  if (base > 0) copyFileSync((await cachedDatabase(base)).path, path)
  const db = openDatabase(path)
  if (base === 0) seedCatalog(db)
  const lines = [...syntheticLines(count, 43, base)]
  const session = new Session()
  if (values.profile) {
    session.connect()
    await session.post('Profiler.enable')
    await session.post('Profiler.setSamplingInterval', { interval: 200 })
    await session.post('Profiler.start')
  }
  const io = writtenBytes()
  const cpu = process.cpuUsage()
  const result = await importLines(db, lines, count, 'Profiling')
  const used = process.cpuUsage(cpu)
  const written = writtenBytes() - io
  if (values.profile) {
    const { profile } = await session.post('Profiler.stop')
    session.disconnect()
    mkdirSync(values.out, { recursive: true })
    writeFileSync(join(values.out, 'import.cpuprofile'), JSON.stringify(profile))
  }
  db.$client.close()
  const cpuUs = used.user + used.system
  console.log(
    `${count} articles into ${base} in ${result.seconds.toFixed(2)} s: ${Math.round(result.rate)} articles/s wall, ` +
      `${Math.round(cpuUs / count)} µs CPU per article (${Math.round(used.system / count)} µs of it system), ` +
      `${Math.round(written / count / 1024)} KB written per article (WAL and checkpoints)\n`,
  )
  if (values.profile) console.log(summarizeProfiles(values.out, Number(values.top)))
} finally {
  rmSync(dir, { recursive: true, force: true })
}
