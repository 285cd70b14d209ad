import type { FastifyInstance } from 'fastify'
import type { Deps } from '../../deps.js'
import { sourcesRoutes } from './sources.routes.js'
import { createSourcesService } from './sources.service.js'

export async function sourcesModule(app: FastifyInstance, deps: Deps) {
  await app.register(sourcesRoutes, { service: createSourcesService(deps) })
}
