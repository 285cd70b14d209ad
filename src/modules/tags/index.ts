import type { FastifyInstance } from 'fastify'
import type { Deps } from '../../deps.js'
import { catalogRoutes } from '../catalog-routes.js'
import { TagCreateSchema, TagListSchema, TagPatchSchema, TagSchema } from './tags.schemas.js'
import { createTagsService } from './tags.service.js'

export async function tagsModule(app: FastifyInstance, deps: Deps) {
  const routes = catalogRoutes({
    plural: 'tags',
    singular: 'Tag',
    schemas: { item: TagSchema, list: TagListSchema, create: TagCreateSchema, patch: TagPatchSchema },
    descriptions: {
      create: 'Creates a tag (kind defaults to subject). The slug is derived from the name unless given.',
      delete: 'Deletes a tag and removes it from every article that had it; those articles get a new version.',
    },
    deleteProblems: [],
    service: createTagsService(deps),
  })
  await app.register(routes)
}
