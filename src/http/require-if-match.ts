import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { HttpProblem } from './errors.js'

declare module 'fastify' {
  interface FastifyContextConfig {
    /** This POST changes an existing resource (a transition): If-Match applies as to PATCH. */
    changesExisting?: boolean
  }
}

/**
 * With REQUIRE_IF_MATCH on, a change to an existing resource (PATCH, DELETE, a transition)
 * without If-Match is refused with 428, so no client can overwrite an edit it never saw.
 */
export const requireIfMatch = fp(
  async (app: FastifyInstance, { enabled }: { enabled: boolean }) => {
    if (!enabled) return
    app.addHook('preHandler', async (request) => {
      const changes =
        request.method === 'PATCH' || request.method === 'DELETE' || request.routeOptions.config.changesExisting === true
      if (!changes || request.headers['if-match'] !== undefined) return
      throw new HttpProblem(
        428,
        'precondition-required',
        'Precondition required',
        'This server requires If-Match on changes: send the ETag you last read, e.g. If-Match: "v3".',
        { errors: [{ in: 'headers', pointer: '/if-match', message: 'is required' }] },
      )
    })
  },
  { name: 'require-if-match' },
)
