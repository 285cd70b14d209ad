import type { FastifyInstance } from 'fastify'
import type { Deps } from '../../deps.js'
import { tagsRoutes } from './tags.routes.js'
import { createTagsService } from './tags.service.js'

export async function tagsModule(app: FastifyInstance, deps: Deps) {
  await app.register(tagsRoutes, { service: createTagsService(deps) })
}
