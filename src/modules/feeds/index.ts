import type { FastifyInstance } from 'fastify'
import type { Deps } from '../../deps.js'
import { createArticleListService } from '../articles/list-service.js'
import { feedsRoutes } from './feeds.routes.js'

/** /v1/feeds: RSS 2.0, Atom 1.0 and JSON Feed 1.1 of published articles. */
export async function feedsModule(app: FastifyInstance, deps: Deps) {
  await app.register(feedsRoutes, { lists: createArticleListService(deps.db, deps.clock), clock: deps.clock, prefix: '/v1/feeds' })
}
