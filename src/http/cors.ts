import fastifyCors from '@fastify/cors'
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'

export type CorsOptions = {
  /** Origins allowed to call from a browser (config CORS_ORIGINS); `*` among them means any. */
  origins: string[]
}

/** Response headers scripts may read, beyond the CORS-safelisted ones. */
export const EXPOSED_HEADERS = ['ETag', 'Link', 'Location', 'X-Request-Id', 'RateLimit', 'RateLimit-Policy', 'Retry-After', 'Idempotent-Replayed', 'Cache-Status']

/** Request headers a browser may send (Content-Type because ours is JSON, not a "simple" type). */
export const ALLOWED_HEADERS = [
  'Authorization',
  'Content-Type',
  'If-Match',
  'If-None-Match',
  'If-Modified-Since',
  'Idempotency-Key',
  'X-Request-Id',
]

/**
 * CORS for browser clients. Its onRequest hook must run before authentication's: a preflight
 * carries no key, and a 401 must carry Access-Control-Allow-Origin for a script to read it.
 * A preflight from an origin not on the list still gets a 204, but without
 * Access-Control-Allow-Origin, so the browser refuses the real request.
 * Plain OPTIONS requests (no Origin or no Access-Control-Request-Method) are answered by the
 * problem-details plugin before they get here.
 */
export const cors = fp(
  async (app: FastifyInstance, { origins }: CorsOptions) => {
    await app.register(fastifyCors, {
      origin: origins.includes('*') ? '*' : origins,
      methods: ['GET', 'HEAD', 'POST', 'PATCH', 'DELETE'],
      allowedHeaders: ALLOWED_HEADERS,
      exposedHeaders: EXPOSED_HEADERS,
      credentials: false,
      maxAge: 86_400,
    })
  },
  { name: 'cors' },
)
