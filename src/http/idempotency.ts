import { createHash } from 'node:crypto'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import type { Db } from '../db/client.js'
import { idempotencyKeyInFlight, idempotencyKeyReused, invalidIdempotencyKey } from './errors.js'
import { createIdempotencyRepository } from './idempotency.repository.js'
import { DAY_MS } from '../time.js'

// IETF draft "The Idempotency-Key HTTP Header Field": a POST sent again with the same key gets
// the first answer back instead of doing the work twice.

/** How long a stored response is replayed; an older record is ignored and replaced. */
export const IDEMPOTENCY_TTL_MS = DAY_MS

const KEY_PATTERN = /^[\x20-\x7e]{1,255}$/
/** The response headers a replay repeats, besides the status and the body. */
const STORED_HEADERS = ['content-type', 'location', 'etag', 'last-modified'] as const

type Pending = { owner: string; key: string; settled: boolean }

declare module 'fastify' {
  interface FastifyRequest {
    /** Set while this request holds a running idempotency record. */
    idempotency: Pending | null
  }
  interface FastifyContextConfig {
    /** `false`: the route ignores Idempotency-Key (for responses that must never be stored). */
    idempotency?: boolean
  }
}

function readKey(request: FastifyRequest): string | undefined {
  const value = request.headers['idempotency-key']
  if (value === undefined) return undefined
  if (typeof value === 'string' && KEY_PATTERN.test(value)) return value
  throw invalidIdempotencyKey()
}

/** What "the same request" means: method, path (with query) and a hash of the parsed body. */
function fingerprint(request: FastifyRequest): string {
  const body = createHash('sha256').update(JSON.stringify(request.body ?? null)).digest('base64url')
  return `${request.method} ${request.url} ${body}`
}

function storedHeaders(reply: FastifyReply): Record<string, string> {
  const headers: Record<string, string> = {}
  for (const name of STORED_HEADERS) {
    const value = reply.getHeader(name)
    if (typeof value === 'string' || typeof value === 'number') headers[name] = String(value)
  }
  return headers
}

/**
 * Every POST accepts an Idempotency-Key, scoped to the API key that sent it. The check runs
 * after the body is parsed and validated (preHandler); the response is stored in onSend, where
 * the payload is the serialised string. 5xx answers and requests that end without an answer
 * leave nothing behind, so the client may retry.
 */
export const idempotency = fp(
  async (app: FastifyInstance, { db, clock }: { db: Db; clock: () => number }) => {
    const repo = createIdempotencyRepository(db)
    app.decorateRequest('idempotency', null)

    /** Removes a record that never got its response, and keeps a late onSend from storing one. */
    const release = (pending: Pending) => {
      if (pending.settled) return
      pending.settled = true
      repo.abandon(pending.owner, pending.key)
    }

    app.addHook('preHandler', async (request, reply) => {
      if (request.method !== 'POST' || request.is404 || request.routeOptions.config.idempotency === false) return
      const key = readKey(request)
      if (key === undefined || request.viewer === null) return
      const owner = request.viewer.keyId
      const now = clock()
      const print = fingerprint(request)
      repo.purgeBefore(now - IDEMPOTENCY_TTL_MS)
      if (repo.start({ owner, key, fingerprint: print, createdAt: now })) {
        const pending: Pending = { owner, key, settled: false }
        request.idempotency = pending
        // Fires after every response, sent or not; only one that never reached onSend (the client
        // went away, the reply was hijacked) still holds its running record here.
        reply.raw.once('close', () => release(pending))
        return
      }
      // The primary key (owner, key) collided: a replay, a different request, or one still running.
      const record = repo.find(owner, key)
      if (record === undefined || record.state !== 'done' || record.statusCode === null) throw idempotencyKeyInFlight()
      if (record.fingerprint !== print) throw idempotencyKeyReused()
      return reply
        .code(record.statusCode)
        .headers(record.headers ?? {})
        .header('idempotent-replayed', 'true')
        .send(record.body ?? undefined)
    })

    app.addHook('onSend', async (request, reply, payload) => {
      const pending = request.idempotency
      if (pending === null || pending.settled) return payload
      pending.settled = true
      const storable = payload === null || typeof payload === 'string'
      if (reply.statusCode >= 500 || !storable) repo.abandon(pending.owner, pending.key)
      else repo.complete(pending.owner, pending.key, { statusCode: reply.statusCode, headers: storedHeaders(reply), body: payload })
      return payload
    })
  },
  { name: 'idempotency', dependencies: ['authentication'] },
)
