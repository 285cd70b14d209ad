import type { FastifyPluginAsyncZod } from '@fastify/type-provider-zod'
import { z } from 'zod'
import { requireScope } from '../../http/auth.js'
import { setItemValidators } from '../../http/conditional.js'
import { decodeCursor, fingerprint, setLinkHeader, toPage } from '../../http/pagination.js'
import { IdOrSlugParamsSchema, problems } from '../../http/schemas.js'
import type { TagsService } from './tags.service.js'
import { TagCreateSchema, TagListQuerySchema, TagListSchema, TagPatchSchema, TagSchema } from './tags.schemas.js'

const tags = ['tags']
const writeSecurity = [{ bearerAuth: [] }]

export const tagsRoutes: FastifyPluginAsyncZod<{ service: TagsService }> = async (app, { service }) => {
  app.get(
    '/',
    {
      schema: {
        operationId: 'listTags',
        summary: 'List tags',
        description: 'All tags, sorted by name, a page at a time.',
        tags,
        querystring: TagListQuerySchema,
        response: { 200: TagListSchema, ...problems(400, 401) },
      },
    },
    async (request, reply) => {
      const { limit, cursor } = request.query
      const print = fingerprint({ retag: 'tags' })
      const seek = cursor === undefined ? undefined : decodeCursor(cursor, print, 2)
      const rows = service.list(limit + 1, seek)
      const page = toPage(rows, { limit, seek, print, keyOf: (s) => [s.name, s.id] })
      setLinkHeader(reply, page.meta)
      return { data: page.items, meta: page.meta }
    },
  )

  app.get(
    '/:idOrSlug',
    {
      schema: {
        operationId: 'getTag',
        summary: 'Get a tag',
        description: 'One tag, by id or slug.',
        tags,
        params: IdOrSlugParamsSchema,
        response: { 200: TagSchema, ...problems(401, 404) },
      },
    },
    async (request, reply) => {
      const tag = service.get(request.params.idOrSlug)
      setItemValidators(reply, tag)
      return tag
    },
  )

  app.post(
    '/',
    {
      onRequest: requireScope('write'),
      schema: {
        operationId: 'createTag',
        summary: 'Create a tag',
        description: 'Creates a tag (kind defaults to subject). The slug is derived from the name unless given.',
        tags,
        security: writeSecurity,
        body: TagCreateSchema,
        response: { 201: TagSchema, ...problems(400, 401, 403, 409, 413, 415) },
      },
    },
    async (request, reply) => {
      const tag = service.create(request.body)
      setItemValidators(reply, tag)
      return reply.code(201).header('location', `/v1/tags/${tag.id}`).send(tag)
    },
  )

  app.patch(
    '/:idOrSlug',
    {
      onRequest: requireScope('write'),
      schema: {
        operationId: 'updateTag',
        summary: 'Update a tag',
        description: 'Applies a JSON merge patch. Send If-Match with the ETag you read to avoid overwriting a change.',
        tags,
        security: writeSecurity,
        params: IdOrSlugParamsSchema,
        body: TagPatchSchema,
        response: { 200: TagSchema, ...problems(400, 401, 403, 404, 409, 412, 413, 415) },
      },
    },
    async (request, reply) => {
      const tag = service.update(request.params.idOrSlug, request.body, request.headers['if-match'])
      setItemValidators(reply, tag)
      return tag
    },
  )

  app.delete(
    '/:idOrSlug',
    {
      onRequest: requireScope('write'),
      schema: {
        operationId: 'deleteTag',
        summary: 'Delete a tag',
        description: 'Deletes a tag no article uses; a tag in use is a 409 that says how many articles use it.',
        tags,
        security: writeSecurity,
        params: IdOrSlugParamsSchema,
        response: { 204: z.null().describe('Deleted'), ...problems(401, 403, 404, 412) },
      },
    },
    async (request, reply) => {
      service.delete(request.params.idOrSlug, request.headers['if-match'])
      return reply.code(204).send(null)
    },
  )
}
