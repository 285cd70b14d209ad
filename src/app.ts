import { randomUUID } from 'node:crypto'
import type { ZodTypeProvider } from '@fastify/type-provider-zod'
import Fastify, { type FastifyInstance } from 'fastify'
import type { Config } from './config.js'
import type { Db } from './db/client.js'
import type { Deps } from './deps.js'
import { authentication } from './http/auth.js'
import { requireIfMatch } from './http/require-if-match.js'
import { compression } from './http/compression.js'
import { conditionalGet } from './http/conditional.js'
import { cors } from './http/cors.js'
import { idempotency } from './http/idempotency.js'
import { openapi } from './http/openapi.js'
import { handleClientError, handleError, MAX_PARAM_LENGTH, problemDetails } from './http/problem-details.js'
import { rateLimit } from './http/rate-limit.js'
import { responseCache } from './http/response-cache.js'
import { serializerCompiler } from './http/serializer.js'
import { validatorCompiler } from './http/validation.js'
import { articlesModule } from './modules/articles/index.js'
import { bulkModule } from './modules/bulk/index.js'
import { changesModule } from './modules/changes/index.js'
import { feedsModule } from './modules/feeds/index.js'
import { healthModule } from './modules/health/index.js'
import { keysModule } from './modules/keys/index.js'
import { createKeysService } from './modules/keys/keys.service.js'
import { createPublicView } from './modules/articles/public-view.js'
import { sourcesModule } from './modules/sources/index.js'
import { tagsModule } from './modules/tags/index.js'
import { webhooksModule } from './modules/webhooks/index.js'

export type AppOptions = {
  config: Config
  /** An open, migrated database; whoever opened it closes it. */
  db: Db
  /** Milliseconds since the epoch; tests drive it. */
  clock?: () => number
  /** pino options; false silences logs (tests). */
  logger?: boolean | object
}

const REQUEST_ID = /^[\w.:-]{1,64}$/

/** The composition root: builds the whole API without listening. */
export async function buildApp({ config, db, clock = Date.now, logger }: AppOptions): Promise<FastifyInstance> {
  const app = Fastify({
    logger: logger ?? { level: config.logLevel },
    bodyLimit: config.bodyLimit,
    // Whose X-Forwarded-For to believe for request.ip (rate limits by address): TRUST_PROXY.
    trustProxy: config.trustProxy,
    // A well-formed X-Request-Id from a proxy is kept, so logs line up end to end.
    genReqId: (req) => {
      const given = req.headers['x-request-id']
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID()
    },
    requestTimeout: 30_000,
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: MAX_PARAM_LENGTH },
    frameworkErrors: handleError,
    clientErrorHandler: handleClientError,
  }).withTypeProvider<ZodTypeProvider>()

  app.setValidatorCompiler(validatorCompiler)
  // 2xx bodies through fast-json-stringify compiled from the zod schemas (see serializer.ts).
  app.setSerializerCompiler(serializerCompiler)
  // PATCH bodies are JSON merge patches (RFC 7396); plain application/json works too.
  app.addContentTypeParser(
    'application/merge-patch+json',
    { parseAs: 'string' },
    app.getDefaultJsonParser('error', 'error'),
  )
  // Only JSON bodies: text/plain (which Fastify parses by default) is a 415 like any other type.
  app.removeContentTypeParser('text/plain')
  app.addHook('onSend', (request, reply, payload, done) => {
    reply.header('x-request-id', request.id)
    done(null, payload)
  })

  const deps: Deps = { db, clock, config }
  const keys = createKeysService(db, clock)

  await app.register(problemDetails)
  // Before authentication: preflights carry no key, and a 401 needs the CORS headers too.
  await app.register(cors, { origins: config.corsOrigins })
  await app.register(authentication, { keys })
  await app.register(rateLimit, { config, keys, clock })
  await app.register(requireIfMatch, { enabled: config.requireIfMatch })
  await app.register(idempotency, { db, clock })
  await app.register(conditionalGet, { cacheControlPublic: config.cacheControlPublic })
  const publicView = createPublicView(db, clock)
  await app.register(responseCache, { maxBytes: config.responseCacheBytes, contentToken: publicView.token })
  // Per-route onSend hooks, so they run after conditionalGet's; before every route it covers.
  await app.register(compression)
  await app.register(openapi)

  await app.register(healthModule, deps)
  await app.register(articlesModule, deps)
  await app.register(bulkModule, deps)
  await app.register(changesModule, deps)
  await app.register(feedsModule, deps)
  await app.register(tagsModule, { ...deps, prefix: '/v1/tags' })
  await app.register(sourcesModule, { ...deps, prefix: '/v1/sources' })
  await app.register(keysModule, { service: keys, prefix: '/v1/keys' })
  await app.register(webhooksModule, deps)

  return app
}
