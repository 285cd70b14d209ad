import type { FastifyInstance } from 'fastify'
import type { Deps } from '../../deps.js'
import { catalogRoutes } from '../catalog-routes.js'
import { SourceCreateSchema, SourceListSchema, SourcePatchSchema, SourceSchema } from './sources.schemas.js'
import { createSourcesService } from './sources.service.js'

export async function sourcesModule(app: FastifyInstance, deps: Deps) {
  const routes = catalogRoutes({
    plural: 'sources',
    singular: 'Source',
    schemas: { item: SourceSchema, list: SourceListSchema, create: SourceCreateSchema, patch: SourcePatchSchema },
    descriptions: {
      create: 'Creates a source. The slug is derived from the name unless given.',
      delete: 'Deletes a source no article uses; a source in use is a 409 that says how many articles use it.',
    },
    deleteProblems: [409],
    service: createSourcesService(deps),
  })
  await app.register(routes)
}
