import http, { type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Test } from 'tap'
import type { Config } from '../src/config.js'
import { createDispatcher, type DispatcherOptions } from '../src/modules/webhooks/dispatcher.js'
import { build, testClock, type Harness } from './helper.js'

export type Received = { path: string; headers: IncomingHttpHeaders; body: string; json: any }
type Respond = (req: IncomingMessage, res: ServerResponse, n: number) => void

/** A real HTTP receiver on 127.0.0.1 (port 0), closed on teardown; answers 204 unless told otherwise. */
export async function receiver(t: Test, respond: Respond = (_req, res) => res.writeHead(204).end()) {
  const received: Received[] = []
  const waiting: (() => void)[] = []
  const state = { respond }
  const server = http.createServer((req, res) => {
    let body = ''
    req.setEncoding('utf8')
    req.on('data', (chunk) => (body += chunk))
    req.on('end', () => {
      received.push({ path: req.url ?? '', headers: req.headers, body, json: body ? JSON.parse(body) : null })
      waiting.splice(0).forEach((wake) => wake())
      state.respond(req, res, received.length)
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => {
    server.closeAllConnections()
    return new Promise<void>((resolve) => server.close(() => resolve()))
  })
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}/hook`,
    port,
    received,
    server,
    /** Changes the answer from now on. */
    answer(next: Respond) {
      state.respond = next
    },
    /** Resolves once `n` requests have arrived. */
    async until(n: number) {
      while (received.length < n) await new Promise<void>((wake) => waiting.push(wake))
    },
  }
}

/** The app (timer off, 127.0.0.1 allowed) on a clock near real time, plus a dispatcher the test drives. */
export async function webhookHarness(t: Test, config: Partial<Config> = {}, options: DispatcherOptions = {}) {
  const h = await build(t, {
    config: { webhookAllowHosts: ['127.0.0.1'], webhookDispatchIntervalMs: 0, ...config },
    clock: testClock(Math.floor(Date.now() / 1000) * 1000),
  })
  const dispatcher = createDispatcher({ db: h.db, clock: h.clock, config: h.config }, options)
  t.teardown(() => dispatcher.stop())
  return { ...h, dispatcher }
}

export type WebhookHarness = Awaited<ReturnType<typeof webhookHarness>>

/** Registers a webhook as an admin; returns the created representation (with its secret). */
export async function register(h: Harness, body: object) {
  const res = await h.app.inject({ method: 'POST', url: '/v1/webhooks', headers: h.auth.admin, payload: body })
  if (res.statusCode !== 201) throw new Error(`POST /v1/webhooks answered ${res.statusCode}: ${res.body}`)
  return res.json() as { id: string; secret: string; version: number }
}

export const ALL_EVENTS = ['article.published', 'article.updated', 'article.removed']

/** The deliveries of a webhook, newest first, as the API lists them. */
export async function deliveries(h: Harness, id: string) {
  const res = await h.app.inject({ url: `/v1/webhooks/${id}/deliveries?limit=100`, headers: h.auth.admin })
  if (res.statusCode !== 200) throw new Error(`deliveries answered ${res.statusCode}: ${res.body}`)
  return res.json().data as any[]
}
