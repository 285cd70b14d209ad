import type { FastifyInstance } from 'fastify'
import type { Deps } from '../../deps.js'
import { articlesRoutes } from './articles.routes.js'
import { createArticlesService } from './articles.service.js'

export async function articlesModule(app: FastifyInstance, deps: Deps) {
  await app.register(articlesRoutes, { service: createArticlesService(deps) })
}
