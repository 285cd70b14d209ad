// Starting and stopping the processes under test: the real compiled server and the baseline.
import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { fileURLToPath } from 'node:url'

export const ROOT = fileURLToPath(new URL('../', import.meta.url))
export const ADMIN_KEY = 'nd_bench-harness-admin-key-0123456789abcdef'

export type Running = { process: ChildProcess; port: number; url: string; stop: () => Promise<void> }

async function waitForHttp(url: string, child: ChildProcess, what: string) {
  for (let i = 0; i < 300; i++) {
    if (child.exitCode !== null) throw new Error(`${what} exited with code ${child.exitCode}`)
    try {
      const response = await fetch(url)
      await response.arrayBuffer()
      if (response.ok) return
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  throw new Error(`${what} did not answer ${url} within 30 s`)
}

function running(child: ChildProcess, port: number): Running {
  return {
    process: child,
    port,
    url: `http://127.0.0.1:${port}`,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return
      child.kill('SIGTERM')
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000)
      await once(child, 'exit')
      clearTimeout(timer)
    },
  }
}

/**
 * `node dist/server.js` with production settings on 127.0.0.1: logging at warn, the rate limiter
 * on (it runs on every request in production) with a limit no run reaches, the bench admin key
 * for writes, WORKERS as given, the response cache on or off.
 */
export async function startServer(options: {
  databasePath: string
  port: number
  workers: number
  responseCache: boolean
  nodeArgs?: string[]
  /** Another checkout's compiled server (before/after comparisons); default this one. */
  root?: string
}): Promise<Running> {
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), 'dist/server.js'], {
    cwd: options.root ?? ROOT,
    env: {
      ...process.env,
      NODE_ENV: 'production',
      HOST: '127.0.0.1',
      PORT: String(options.port),
      DATABASE_PATH: options.databasePath,
      LOG_LEVEL: 'warn',
      RATE_LIMIT_MAX: '1000000000',
      ...(options.responseCache ? {} : { RESPONSE_CACHE_MB: '0' }),
      WORKERS: String(options.workers),
      NEWSDESK_ADMIN_KEY: ADMIN_KEY,
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  })
  const server = running(child, options.port)
  await waitForHttp(`${server.url}/health`, child, 'the server')
  return server
}

/** The bare Fastify server returning `body` with `contentType` at /baseline. */
export async function startBaseline(options: { bodyFile: string; contentType: string; port: number }): Promise<Running> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'bench/baseline.ts', options.bodyFile, options.contentType, String(options.port)],
    { cwd: ROOT, env: { ...process.env, NODE_ENV: 'production' }, stdio: ['ignore', 'ignore', 'inherit'] },
  )
  const baseline = running(child, options.port)
  await waitForHttp(`${baseline.url}/baseline`, child, 'the baseline')
  return baseline
}
