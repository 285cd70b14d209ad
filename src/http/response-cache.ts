import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { LRUCache } from 'lru-cache'
import { canSeeUnpublished } from './auth.js'
import { COMPRESS_THRESHOLD, compressed, negotiatedEncoding, type Encoding } from './compression.js'
import { notModified } from './conditional.js'

/**
 * A cache of whole public responses, kept in each process: the bytes and validators of a 200
 * that a reader without the write scope got, keyed by what chose them (host, URL, Accept), and
 * served again while the content they came from is unchanged.
 *
 * "Unchanged" is a token from the database (see modules/articles/public-view.ts): it moves on
 * with every committed write to the content tables, from any worker or process, and whenever
 * the clock reaches a time at which a scheduled article or an embargo would change what
 * anonymous readers see. It is read before the response is built, so an entry is never older
 * than its token. Everything per request (rate-limit headers, CORS, Vary, Cache-Control, the
 * 304 decision, the request id) still runs on every hit, in the usual hooks. Compression is
 * chosen per request too, as @fastify/compress would, but each encoding is made once per entry.
 *
 * Routes opt in with `config: { responseCache: true }`; bench/README.md has what it saves.
 */

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Serve this GET route's public 200s from the response cache. */
    responseCache?: boolean
  }
  interface FastifyRequest {
    /** The cache key and content token of a request that may be stored once answered. */
    responseCacheSlot: { key: string; token: string } | null
  }
}

/**
 * A stored response. `body` is null when only a 304 was seen: the validators alone answer the
 * next revalidation with the same copy (the common case for a polling client), and a request
 * that needs the body is a miss that stores it. `encoded` holds the body compressed for the
 * clients that asked so far (browsers all do): once per encoding, not on every hit.
 */
type Entry = { token: string; body: Buffer | null; encoded: Partial<Record<Encoding, Buffer>>; headers: [string, string][] }

const sizeOf = (entry: Entry) =>
  256 + (entry.body?.length ?? 0) + (entry.encoded.br?.length ?? 0) + (entry.encoded.gzip?.length ?? 0)

/**
 * The response headers that belong to the content; the rest are set per request. Vary is
 * stored for what the route added (Accept, for the ninjs negotiation); the app's own names
 * are appended again on every response anyway.
 */
const STORED_HEADERS = ['content-type', 'etag', 'last-modified', 'link', 'vary'] as const

export type ResponseCacheOptions = {
  /** The cache's size in bytes of stored bodies; 0 turns it off. */
  maxBytes: number
  /** The current content token; equal tokens mean equal public responses. */
  contentToken: () => string
}

/** RFC 9211 Cache-Status, so operators and tests can see what happened to each request. */
const CACHE_STATUS = {
  hit: 'newsdesk; hit',
  stored: 'newsdesk; fwd=miss; stored',
  miss: 'newsdesk; fwd=miss',
  // A write-scope key sees drafts: its responses are neither served from nor stored in the cache.
  bypass: 'newsdesk; fwd=bypass',
} as const

/** The host and scheme are in the key: feeds and ninjs write absolute links from them. */
const keyOf = (request: FastifyRequest) =>
  `${request.protocol}://${request.host}${request.url}\n${request.headers.accept ?? ''}`

const header = (entry: Entry, name: string) => entry.headers.find(([stored]) => stored === name)?.[1]

/** Whether the client's copy is this entry's, by the rules conditionalGet answers a 304 by. */
const fresh = (request: FastifyRequest, entry: Entry) =>
  notModified(request, header(entry, 'etag') ?? '', header(entry, 'last-modified'))

function storedHeaders(reply: FastifyReply): [string, string][] {
  const headers: [string, string][] = []
  for (const name of STORED_HEADERS) {
    const value = reply.getHeader(name)
    if (typeof value === 'string') headers.push([name, value])
  }
  return headers
}

/**
 * Bytes to keep: a Buffer of its own. zlib returns a view of a 16 KiB chunk, and a short
 * Buffer.from() one of an 8 KiB pool; kept, either holds the whole of it (a compressed article
 * of 3 KB held 16), which the cache's size bound would not see.
 */
function own(bytes: Buffer): Buffer {
  if (bytes.byteLength === bytes.buffer.byteLength) return bytes
  const copy = Buffer.allocUnsafeSlow(bytes.byteLength)
  bytes.copy(copy)
  return copy
}

/** The payload as bytes: a hit then writes them as they are, with no encoding per request. */
const asBytes = (payload: unknown) =>
  typeof payload === 'string' ? own(Buffer.from(payload)) : Buffer.isBuffer(payload) ? own(payload) : undefined

export const responseCache = fp(
  async (app: FastifyInstance, { maxBytes, contentToken }: ResponseCacheOptions) => {
    app.decorateRequest('responseCacheSlot', null)
    if (maxBytes === 0) return
    // Least recently used out first; no single response takes more than a quarter of it.
    const entries = new LRUCache<string, Entry>({ maxSize: maxBytes, sizeCalculation: sizeOf })

    /**
     * The entry's body as this client takes it: compressed (made once per encoding, kept in the
     * entry) with its Content-Encoding set, which @fastify/compress then leaves alone. Done
     * here, in one synchronous call on a body of a few KB, and not by the plugin's stream: that
     * cost 0.45 ms of CPU per response and grew the memory of the threads it ran on.
     */
    function bodyFor(request: FastifyRequest, reply: FastifyReply, key: string, entry: Entry, body: Buffer): Buffer {
      const encoding = body.length >= COMPRESS_THRESHOLD ? negotiatedEncoding(request) : undefined
      if (encoding === undefined) return body
      let encoded = entry.encoded[encoding]
      if (encoded === undefined) {
        encoded = entry.encoded[encoding] = own(compressed(body, encoding))
        entries.set(key, entry) // sized again, with the new variant
      }
      reply.header('content-encoding', encoding).removeHeader('content-length')
      return encoded
    }

    /**
     * Answers from an entry. For a current copy, an empty 200 with the entry's validators, which
     * conditionalGet's hook turns into the 304.
     */
    function replay(request: FastifyRequest, reply: FastifyReply, key: string, entry: Entry) {
      for (const [name, value] of entry.headers) reply.header(name, value)
      reply.header('cache-status', CACHE_STATUS.hit)
      if (entry.body === null || fresh(request, entry)) return reply.send('')
      return reply.send(bodyFor(request, reply, key, entry, entry.body))
    }

    // preValidation: after authentication and the rate limit (onRequest), before the query is
    // parsed. Only a URL that once gave a 200 is ever stored, so a hit needs no validation.
    // Callback hooks, not async ones: on a hit they are most of the work, and promises cost.
    app.addHook('preValidation', (request, reply, done) => {
      if (request.method !== 'GET' || request.routeOptions.config.responseCache !== true) return done()
      if (canSeeUnpublished(request.viewer)) {
        reply.header('cache-status', CACHE_STATUS.bypass)
        return done()
      }
      const key = keyOf(request)
      const token = contentToken()
      const entry = entries.get(key)
      if (entry?.token === token && (entry.body !== null || fresh(request, entry))) return replay(request, reply, key, entry)
      request.responseCacheSlot = { key, token }
      done()
    })

    // Registered after conditionalGet, so the ETag it hashed for a collection is stored too.
    // @fastify/compress runs later (route-level): the body is stored as it is, and compressed
    // here for the client that asked (bodyFor), so the plugin finds it done.
    app.addHook('onSend', (request, reply, payload, done) => {
      const slot = request.responseCacheSlot
      if (slot === null) return done(null, payload)
      if (reply.statusCode === 304) {
        // Keep a stored body of the same content: it answers more requests than the validators.
        if (entries.peek(slot.key)?.token !== slot.token) {
          entries.set(slot.key, { token: slot.token, body: null, encoded: {}, headers: storedHeaders(reply) })
        }
        reply.header('cache-status', CACHE_STATUS.stored)
        return done(null, payload)
      }
      const body = reply.statusCode === 200 ? asBytes(payload) : undefined
      if (body === undefined || body.length > maxBytes / 4) {
        reply.header('cache-status', CACHE_STATUS.miss)
        return done(null, payload)
      }
      const entry = { token: slot.token, body, encoded: {}, headers: storedHeaders(reply) }
      entries.set(slot.key, entry)
      reply.header('cache-status', CACHE_STATUS.stored)
      done(null, bodyFor(request, reply, slot.key, entry, body))
    })
  },
  { name: 'response-cache', dependencies: ['authentication', 'conditional-get'] },
)
