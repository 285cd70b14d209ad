import { createHash } from 'node:crypto'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { preconditionFailed } from './errors.js'
import { appendVary } from './vary.js'

// RFC 9110 section 8.8.3 and 13.1: entity tags and the If-Match / If-None-Match preconditions.

type EntityTag = { weak: boolean; opaque: string }

/** Parses `*` or a comma-separated list of entity tags; malformed members are skipped. */
export function parseEntityTags(header: string): '*' | EntityTag[] {
  if (header.trim() === '*') return '*'
  const tags: EntityTag[] = []
  for (const match of header.matchAll(/(W\/)?("[^"]*")/g)) {
    tags.push({ weak: match[1] !== undefined, opaque: match[2]! })
  }
  return tags
}

const parseOne = (etag: string): EntityTag =>
  etag.startsWith('W/') ? { weak: true, opaque: etag.slice(2) } : { weak: false, opaque: etag }

/** If-None-Match uses the weak comparison: the opaque parts are equal. */
export function noneMatchHits(header: string | undefined, etag: string): boolean {
  if (header === undefined) return false
  const tags = parseEntityTags(header)
  if (tags === '*') return true
  const current = parseOne(etag)
  return tags.some((tag) => tag.opaque === current.opaque)
}

/** If-Match uses the strong comparison: neither tag weak, opaque parts equal. */
export function matchHits(header: string, etag: string): boolean {
  const tags = parseEntityTags(header)
  if (tags === '*') return true
  const current = parseOne(etag)
  return !current.weak && tags.some((tag) => !tag.weak && tag.opaque === current.opaque)
}

/**
 * The strong ETag of a versioned resource. Another representation of the same version (ninjs)
 * names itself in a suffix: a strong ETag must differ between representations (RFC 9110 8.8.3).
 */
export const versionEtag = (version: number, representation?: string) =>
  representation === undefined ? `"v${version}"` : `"v${version}-${representation}"`

/**
 * Throws 412 when the request's If-Match does not match the resource's current version.
 * A request without If-Match is unconditional (curl-friendly).
 */
export function checkIfMatch(header: string | undefined, version: number) {
  if (header === undefined) return
  if (!matchHits(header, versionEtag(version))) {
    throw preconditionFailed(
      `The resource has changed: it is now at version ${version} (ETag ${versionEtag(version)}). Fetch it again and retry.`,
      { currentVersion: version, currentEtag: versionEtag(version) },
    )
  }
}

/**
 * Sets the validators of a versioned item (in its JSON or another named representation) on a
 * reply. `updatedAt` is the ISO string of a representation or the stored milliseconds.
 */
export function setItemValidators(reply: FastifyReply, item: { version: number; updatedAt: string | number }, representation?: string) {
  reply.header('etag', versionEtag(item.version, representation))
  reply.header('last-modified', new Date(item.updatedAt).toUTCString())
}

/**
 * Sets an item's validators and tells whether the GET's If-None-Match already names this
 * version, so that the route can skip building a body nobody will read (measured in bench/:
 * most of a revalidation's cost). The route then sends an empty 200 and conditionalGet's hook
 * below turns it into the 304, with the same headers as any other. HEAD keeps the full path
 * (its Content-Length is the body's).
 */
export function itemNotModified(
  request: FastifyRequest,
  reply: FastifyReply,
  item: { version: number; updatedAt: string | number },
  representation?: string,
): boolean {
  setItemValidators(reply, item, representation)
  if (request.method !== 'GET') return false
  return noneMatchHits(request.headers['if-none-match'], versionEtag(item.version, representation))
}

/**
 * Whether a GET's copy, named by If-None-Match or else If-Modified-Since (RFC 9110 13.2.2), is
 * current for a response with these validators.
 */
export function notModified(request: FastifyRequest, etag: string, lastModified: unknown): boolean {
  const ifNoneMatch = request.headers['if-none-match']
  if (ifNoneMatch !== undefined) return noneMatchHits(ifNoneMatch, etag)
  const since = request.headers['if-modified-since']
  if (since === undefined || typeof lastModified !== 'string') return false
  const sinceMs = Date.parse(since)
  return Number.isFinite(sinceMs) && Date.parse(lastModified) <= sinceMs
}

export type ConditionalGetOptions = {
  /** Cache-Control for anonymous reads (config CACHE_CONTROL_PUBLIC); keyed reads are private. */
  cacheControlPublic: string
}

/**
 * For every GET and HEAD: Vary (the body depends on the key, and on Accept-Encoding once
 * compressed). For the successful ones: an ETag (the item's version, or a hash of the body for
 * collections), Cache-Control by who is asking, and a 304 when the client's copy is current.
 * Compression runs after this hook (route-level onSend), so the hash and the 304 decision see
 * the uncompressed body.
 */
export const conditionalGet = fp(
  async (app: FastifyInstance, { cacheControlPublic }: ConditionalGetOptions) => {
    // A callback hook: it runs on every GET, and an async one costs promise turns for nothing.
    app.addHook('onSend', (request, reply, payload, done) => {
      if (request.method !== 'GET' && request.method !== 'HEAD') return done(null, payload)
      // Also on errors: a draft is a 404 without a key and a 200 with one.
      appendVary(reply, 'Authorization', 'Accept-Encoding')
      if (reply.statusCode !== 200) return done(null, payload)
      if (!reply.hasHeader('cache-control')) {
        reply.header('cache-control', request.viewer === null ? cacheControlPublic : 'private, no-store')
      }
      let etag = reply.getHeader('etag')
      if (typeof etag !== 'string') {
        if (typeof payload !== 'string' && !Buffer.isBuffer(payload)) return done(null, payload)
        etag = `"${createHash('sha1').update(payload).digest('base64url')}"`
        reply.header('etag', etag)
      }
      if (!notModified(request, etag, reply.getHeader('last-modified'))) return done(null, payload)
      reply.code(304).removeHeader('content-type').removeHeader('content-length')
      // Fastify's own HEAD hook runs after this one and needs the payload (it measures it, then
      // drops it); a null there is a TypeError and a 500.
      done(null, request.method === 'HEAD' ? payload : null)
    })
  },
  { name: 'conditional-get' },
)
