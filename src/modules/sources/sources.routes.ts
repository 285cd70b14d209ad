import type { FastifyPluginAsyncZod } from '@fastify/type-provider-zod'
import { z } from 'zod'
import { requireScope } from '../../http/auth.js'
import { setItemValidators } from '../../http/conditional.js'
import { decodeCursor, fingerprint, setLinkHeader, toPage } from '../../http/pagination.js'
import { IdOrSlugParamsSchema, problems } from '../../http/schemas.js'
import type { SourcesService } from './sources.service.js'
import { SourceCreateSchema, SourceListQuerySchema, SourceListSchema, SourcePatchSchema, SourceSchema } from './sources.schemas.js'

const tags = ['sources']
const writeSecurity = [{ bearerAuth: [] }]

export const sourcesRoutes: FastifyPluginAsyncZod<{ service: SourcesService }> = async (app, { service }) => {
  app.get(
    '/',
    {
      schema: {
        operationId: 'listSources',
        summary: 'List sources',
        description: 'All sources, sorted by name, a page at a time.',
        tags,
        querystring: SourceListQuerySchema,
        response: { 200: SourceListSchema, ...problems(400, 401) },
      },
    },
    async (request, reply) => {
      const { limit, cursor } = request.query
      const print = fingerprint({ resource: 'sources' })
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
        operationId: 'getSource',
        summary: 'Get a source',
        description: 'One source, by id or slug.',
        tags,
        params: IdOrSlugParamsSchema,
        response: { 200: SourceSchema, ...problems(401, 404) },
      },
    },
    async (request, reply) => {
      const source = service.get(request.params.idOrSlug)
      setItemValidators(reply, source)
      return source
    },
  )

  app.post(
    '/',
    {
      onRequest: requireScope('write'),
      schema: {
        operationId: 'createSource',
        summary: 'Create a source',
        description: 'Creates a source. The slug is derived from the name unless given.',
        tags,
        security: writeSecurity,
        body: SourceCreateSchema,
        response: { 201: SourceSchema, ...problems(400, 401, 403, 409, 413, 415) },
      },
    },
    async (request, reply) => {
      const source = service.create(request.body)
      setItemValidators(reply, source)
      return reply.code(201).header('location', `/v1/sources/${source.id}`).send(source)
    },
  )

  app.patch(
    '/:idOrSlug',
    {
      onRequest: requireScope('write'),
      schema: {
        operationId: 'updateSource',
        summary: 'Update a source',
        description: 'Applies a JSON merge patch. Send If-Match with the ETag you read to avoid overwriting a change.',
        tags,
        security: writeSecurity,
        params: IdOrSlugParamsSchema,
        body: SourcePatchSchema,
        response: { 200: SourceSchema, ...problems(400, 401, 403, 404, 409, 412, 413, 415) },
      },
    },
    async (request, reply) => {
      const source = service.update(request.params.idOrSlug, request.body, request.headers['if-match'])
      setItemValidators(reply, source)
      return source
    },
  )

  app.delete(
    '/:idOrSlug',
    {
      onRequest: requireScope('write'),
      schema: {
        operationId: 'deleteSource',
        summary: 'Delete a source',
        description: 'Deletes a source no article uses; a source in use is a 409 that says how many articles use it.',
        tags,
        security: writeSecurity,
        params: IdOrSlugParamsSchema,
        response: { 204: z.null().describe('Deleted'), ...problems(401, 403, 404, 409, 412) },
      },
    },
    async (request, reply) => {
      service.delete(request.params.idOrSlug, request.headers['if-match'])
      return reply.code(204).send(null)
    },
  )
}
