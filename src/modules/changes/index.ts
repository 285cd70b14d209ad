import type { FastifyInstance } from 'fastify'
import type { Deps } from '../../deps.js'
import { changesRoutes } from './changes.routes.js'
import { createChangesService } from './changes.service.js'

export async function changesModule(app: FastifyInstance, deps: Deps) {
  await app.register(changesRoutes, { service: createChangesService(deps), prefix: '/v1/changes' })
}
