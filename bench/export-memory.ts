// Export memory: 100,000 articles (loaded through the import path: the cached database of
// bench/load.ts) streamed from the real, compiled server on 127.0.0.1, sampling the server's
// resident memory while it streams. Run with: npm run build && npx tsx bench/export-memory.ts
// [--articles 100000] [--db FILE] (--db: any database to export instead).
import { spawn } from 'node:child_process'
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { request } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { cachedDatabase } from './load.js'

const ADMIN_KEY = 'nd_bench-export-memory-admin-key-0123456789'
const MB = 1024 * 1024

const rssOf = (pid: number) => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) * 1024

function get(port: number, path: string, headers: Record<string, string> = {}): Promise<{ bytes: number; lines: number; ms: number }> {
  const started = performance.now()
  return new Promise((resolve, reject) => {
    request({ host: '127.0.0.1', port, path, headers }, (res) => {
      let bytes = 0
      let lines = 0
      res.on('data', (chunk: Buffer) => {
        bytes += chunk.length
        for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) lines++
      })
      res.on('end', () => resolve({ bytes, lines, ms: performance.now() - started }))
      res.on('error', reject)
    })
      .on('error', reject)
      .end()
  })
}

/** Starts the compiled server with `flags`, warms it up on a small list, then exports twice. */
async function measure(path: string, flags: string[]): Promise<string[]> {
  const port = 3000 + Math.floor(Math.random() * 20000)
  const server = spawn(process.execPath, [...flags, 'dist/server.js'], {
    env: { ...process.env, DATABASE_PATH: path, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn', NEWSDESK_ADMIN_KEY: ADMIN_KEY, RATE_LIMIT_MAX: '0', WORKERS: '1' },
    stdio: ['ignore', 'ignore', 'inherit'],
  })
  try {
    for (let i = 0; ; i++) {
      if ((await get(port, '/health').catch(() => null)) !== null) break
      if (i > 200) throw new Error('the server did not start')
      await new Promise((r) => setTimeout(r, 100))
    }
    await get(port, '/v1/articles?limit=100')
    const pid = server.pid!
    const rows: string[] = []
    for (const [label, headers] of [['anonymous', {}], ['write key', { authorization: `Bearer ${ADMIN_KEY}` }]] as const) {
      await new Promise((r) => setTimeout(r, 500))
      const before = rssOf(pid)
      let peak = before
      const sampler = setInterval(() => (peak = Math.max(peak, rssOf(pid))), 20)
      const result = await get(port, '/v1/export', headers)
      clearInterval(sampler)
      const after = rssOf(pid)
      const mb = (bytes: number) => `${(bytes / MB).toFixed(1)} MB`
      rows.push(
        `| ${flags.join(' ') || 'default'} | ${label} | ${result.lines.toLocaleString('en-US')} | ${(result.bytes / MB).toFixed(0)} MB | ${(result.ms / 1000).toFixed(1)} s | ${mb(before)} | ${mb(peak)} | +${mb(peak - before)} | ${mb(after)} |`,
      )
    }
    return rows
  } finally {
    server.kill('SIGTERM')
  }
}

async function main() {
  const { values } = parseArgs({ options: { articles: { type: 'string', default: '100000' }, db: { type: 'string' } } })
  if (!existsSync('dist/server.js')) throw new Error('Build the server first: npm run build')
  const dir = mkdtempSync(join(tmpdir(), 'newsdesk-export-'))
  // A copy: the server adds its admin key, and the cache stays as it is.
  const path = join(dir, 'bench.db')
  try {
    copyFileSync(values.db ?? (await cachedDatabase(Number(values.articles))).path, path)
    console.log('| server | export | lines | bytes | time | server RSS before | peak while streaming | growth | after |')
    console.log('|---|---|---:|---:|---:|---:|---:|---:|---:|')
    // V8 lets garbage pile up until its heap limit nears (by default a large share of the machine's
    // memory); a capped old generation shows the memory the export really needs.
    for (const flags of [[], ['--max-old-space-size=64']]) {
      for (const row of await measure(path, flags)) console.log(row)
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

await main()
