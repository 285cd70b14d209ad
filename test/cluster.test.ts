import { execFileSync, spawn } from 'node:child_process'
import { once } from 'node:events'
import { createServer } from 'node:net'
import { join } from 'node:path'
import t from 'tap'

// The real entry point as a node:cluster of two workers on one SQLite file: concurrent writes
// through both never fail with "database is locked", If-Match still lets exactly one win, and
// neither worker's response cache ever hides the other's writes.

const ADMIN_KEY = 'cluster-test-admin-key-0123456789'

async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address() as { port: number }
  server.close()
  await once(server, 'close')
  return port
}

t.test('two workers share the port and the database', async (t) => {
  const port = await freePort()
  const base = `http://127.0.0.1:${port}`
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
    env: {
      ...process.env,
      WORKERS: '2',
      PORT: String(port),
      HOST: '127.0.0.1',
      DATABASE_PATH: join(t.testdir(), 'cluster.db'),
      NEWSDESK_ADMIN_KEY: ADMIN_KEY,
      LOG_LEVEL: 'warn',
      RATE_LIMIT_MAX: '0',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  child.stdout.on('data', (chunk) => (output += chunk))
  child.stderr.on('data', (chunk) => (output += chunk))
  const exited = once(child, 'exit')
  t.teardown(() => {
    if (child.exitCode === null) child.kill('SIGKILL')
  })

  // Wait (bounded) for a worker to answer.
  let up = false
  for (let i = 0; i < 300 && !up; i++) {
    up = await fetch(`${base}/health`).then((r) => r.ok, () => false)
    if (!up) await new Promise((resolve) => setTimeout(resolve, 100))
  }
  t.ok(up, `the cluster came up${up ? '' : `: ${output}`}`)

  const workers = execFileSync('pgrep', ['-P', String(child.pid), '-f', 'server.ts'], { encoding: 'utf8' }).trim().split('\n')
  t.equal(workers.length, 2, `the primary runs two worker processes: ${workers.join(' ')}`)

  const headers = { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' }
  const created = await Promise.all(
    Array.from({ length: 40 }, (_, i) =>
      fetch(`${base}/v1/tags`, { method: 'POST', headers, body: JSON.stringify({ name: `Tag ${i}` }) }).then((r) => r.status),
    ),
  )
  t.same(created, Array(40).fill(201), 'every concurrent write succeeded')

  const patches = await Promise.all(
    Array.from({ length: 10 }, (_, i) =>
      fetch(`${base}/v1/tags/tag-0`, {
        method: 'PATCH',
        headers: { ...headers, 'if-match': '"v1"' },
        body: JSON.stringify({ description: `edit ${i}` }),
      }).then((r) => r.status),
    ),
  )
  t.equal(patches.filter((s) => s === 200).length, 1, 'one If-Match edit wins')
  t.equal(patches.filter((s) => s === 412).length, 9, 'the others are told it changed')
  const tag = (await fetch(`${base}/v1/tags/tag-0`).then((r) => r.json())) as { version: number }
  t.equal(tag.version, 2)

  // Each worker keeps its own response cache: fill both, write through either, and every read
  // after the write's 200, whichever worker answers it, has the new version.
  const article = (await fetch(`${base}/v1/articles`, {
    method: 'POST',
    headers,
    body: JSON.stringify({ headline: 'Cached twice', body: 'Words.', status: 'published' }),
  }).then((r) => r.json())) as { id: string }
  const read = () =>
    Promise.all(
      Array.from({ length: 20 }, () =>
        fetch(`${base}/v1/articles/${article.id}`).then(async (r) => ({ status: r.headers.get('cache-status'), version: ((await r.json()) as { version: number }).version })),
      ),
    )
  const before = await read()
  t.ok(before.some((r) => r.status === 'newsdesk; hit'), 'the reads are served from the cache')
  for (let edit = 2; edit <= 6; edit++) {
    const patched = await fetch(`${base}/v1/articles/${article.id}`, { method: 'PATCH', headers, body: JSON.stringify({ headline: `Edit ${edit}` }) })
    t.equal(patched.status, 200)
    const after = await read()
    t.same(new Set(after.map((r) => r.version)), new Set([edit]), `after edit ${edit}, every worker answers version ${edit}`)
  }

  child.kill('SIGTERM')
  const [code] = await exited
  t.equal(code, 0, 'SIGTERM drains the workers and exits cleanly')
})
