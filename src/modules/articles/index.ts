import type { FastifyInstance } from 'fastify'
import type { Deps } from '../../deps.js'
import { articlesRoutes } from './articles.routes.js'
import { createArticlesService } from './articles.service.js'
import { lifecycleRoutes } from './lifecycle.routes.js'
import { createArticleListService } from './list-service.js'
import { revisionsRoutes } from './revisions.routes.js'
import { createRevisionsService } from './revisions.service.js'
import { trashRoutes } from './trash.routes.js'

/** /v1/articles (reads, writes, lifecycle, revisions) and /v1/trash. */
export async function articlesModule(app: FastifyInstance, deps: Deps) {
  const service = createArticlesService(deps)
  await app.register(articlesRoutes, { service, lists: createArticleListService(deps.db, deps.clock), prefix: '/v1/articles' })
  await app.register(lifecycleRoutes, { service, prefix: '/v1/articles' })
  await app.register(revisionsRoutes, { service: createRevisionsService(deps, service), prefix: '/v1/articles' })
  await app.register(trashRoutes, { service, prefix: '/v1/trash' })
}
