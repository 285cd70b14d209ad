import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import type { Deps } from '../../deps.js'
import { deliveriesRoutes } from './deliveries.routes.js'
import { createDispatcher } from './dispatcher.js'
import { webhooksRoutes } from './webhooks.routes.js'
import { createWebhooksService } from './webhooks.service.js'

const WRITES = new Set(['POST', 'PUT', 'PATCH', 'DELETE'])

/**
 * /v1/webhooks, and this process's dispatcher: started when the app is ready (its timer runs
 * every WEBHOOK_DISPATCH_INTERVAL_MS; 0 leaves it off, as in tests, which drive a dispatcher of
 * their own with tick()), stopped when the app closes. Wrapped with fastify-plugin only for the
 * onResponse nudge, which must see every write (a root hook reaches routes registered before it
 * too); the routes stay encapsulated under their prefix.
 */
export const webhooksModule = fp(
  async (app: FastifyInstance, deps: Deps) => {
    const service = createWebhooksService(deps)
    const dispatcher = createDispatcher(deps, { log: app.log.child({ module: 'webhooks' }) })
    await app.register(webhooksRoutes, { service, prefix: '/v1/webhooks' })
    await app.register(deliveriesRoutes, { service, prefix: '/v1/webhooks' })
    app.addHook('onReady', async () => dispatcher.start())
    app.addHook('onClose', async () => dispatcher.stop())
    // After the response is sent: never part of a request's time.
    app.addHook('onResponse', (request, reply, done) => {
      if (WRITES.has(request.method) && reply.statusCode < 400) dispatcher.nudge()
      done()
    })
  },
  { name: 'webhooks' },
)
