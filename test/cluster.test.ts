import { execFileSync, spawn } from 'node:child_process'
import { once } from 'node:events'
import { createServer } from 'node:net'
import { join } from 'node:path'
import t from 'tap'

// The real entry point as a node:cluster of two workers on one SQLite file: concurrent writes
// through both never fail with "database is locked", and If-Match still lets exactly one win.

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

  child.kill('SIGTERM')
  const [code] = await exited
  t.equal(code, 0, 'SIGTERM drains the workers and exits cleanly')
})
