import type { FastifyInstance } from 'fastify'
import type { Deps } from '../../deps.js'
import { createArticlesService } from '../articles/articles.service.js'
import { createBulkService } from './bulk.service.js'
import { exportRoutes } from './export.routes.js'
import { importRoutes } from './import.routes.js'

/** GET /v1/export and POST /v1/import: whole archives as NDJSON, one article per line. */
export async function bulkModule(app: FastifyInstance, deps: Deps) {
  const bulk = createBulkService(deps, createArticlesService(deps))
  await app.register(exportRoutes, { bulk, prefix: '/v1' })
  await app.register(importRoutes, { bulk, prefix: '/v1' })
}
