import type { FastifyInstance, FastifyRequest, onRequestHookHandler } from 'fastify'
import fp from 'fastify-plugin'
import type { KeyScope } from '../db/schema.js'
import { scopeAllows, type KeysService } from '../modules/keys/keys.service.js'
import { forbidden, unauthorized } from './errors.js'

/** Who is asking: an API key's identity, or null for an anonymous reader. */
export type Viewer = { keyId: string; name: string; scope: KeyScope } | null

declare module 'fastify' {
  interface FastifyRequest {
    viewer: Viewer
  }
}

/** True when the caller holds a key that may see drafts and other unpublished states. */
export const canSeeUnpublished = (viewer: Viewer) => viewer !== null && scopeAllows(viewer.scope, 'write')

function bearerToken(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization
  if (header === undefined) return undefined
  const match = /^Bearer[ ]+([^\s]+)\s*$/i.exec(header)
  if (!match?.[1]) throw unauthorized('The Authorization header must be "Bearer <api key>".')
  return match[1]
}

/**
 * Resolves the caller on every request. A missing key means anonymous; a key that is unknown
 * or revoked is a 401 even on public paths, so a broken client finds out at once.
 */
export const authentication = fp(
  async (app: FastifyInstance, { keys }: { keys: KeysService }) => {
    app.decorateRequest('viewer', null)
    // A callback hook, as it runs on every request: an async one costs promise turns.
    app.addHook('onRequest', (request, _reply, done) => {
      try {
        const token = bearerToken(request)
        if (token === undefined) return done()
        const row = keys.authenticate(token)
        if (!row) throw unauthorized('The API key is unknown or has been revoked.')
        request.viewer = { keyId: row.id, name: row.name, scope: row.scope }
        done()
      } catch (error) {
        done(error as Error)
      }
    })
  },
  { name: 'authentication' },
)

/** Route hook: the caller must hold a key with at least `scope`. */
export function requireScope(scope: KeyScope): onRequestHookHandler {
  return async (request) => {
    const { viewer } = request
    if (viewer === null) throw unauthorized(`This needs an API key with the "${scope}" scope.`)
    if (!scopeAllows(viewer.scope, scope)) {
      throw forbidden(`Your key has the "${viewer.scope}" scope; this needs "${scope}".`)
    }
  }
}

/** The name recorded with a change: the API key's name (routes that write require a key). */
export const actorOf = (request: FastifyRequest) => request.viewer?.name ?? 'anonymous'
