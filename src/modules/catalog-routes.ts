import type { FastifyPluginAsync } from 'fastify'
import { z } from 'zod'
import { actorOf, requireScope, type Viewer } from '../http/auth.js'
import { setItemValidators } from '../http/conditional.js'
import { listPage, type Seek } from '../http/pagination.js'
import { IdOrSlugParamsSchema, problems } from '../http/schemas.js'
import { catalogKey, CatalogListQuerySchema, type CatalogListQuery, type Counted } from './catalog-list.js'

type Named = { id: string; name: string; version: number; updatedAt: string }

export type CatalogService<T extends Named, Create, Patch> = {
  list(limit: number, seek: Seek | undefined, query: CatalogListQuery, viewer: Viewer): Counted<T>[]
  get(idOrSlug: string): T
  create(input: Create): T
  update(idOrSlug: string, patch: Patch, ifMatch: string | undefined, actor: string): T
  delete(idOrSlug: string, ifMatch: string | undefined, actor: string): void
}

export type CatalogOptions<T extends Named, Create, Patch> = {
  /** Path segment and OpenAPI tag, e.g. `tags`. */
  plural: string
  /** For operation ids and summaries, e.g. `Tag`. */
  singular: string
  schemas: { item: z.ZodType<T>; list: z.ZodType; create: z.ZodType<Create>; patch: z.ZodType<Patch> }
  descriptions: { create: string; delete: string }
  /** Problem statuses DELETE can answer besides 401/403/404/412 (409 where a rule can refuse it). */
  deleteProblems: number[]
  service: CatalogService<T, Create, Patch>
}

const writeSecurity = [{ bearerAuth: [] }]

/**
 * The five routes of a named catalogue resource (tags, sources): list by name, get by id or
 * slug, create, merge-patch, delete. What differs between them lives in their services.
 */
export function catalogRoutes<T extends Named, Create, Patch>(
  options: CatalogOptions<T, Create, Patch>,
): FastifyPluginAsync {
  const { plural, singular, schemas, service } = options
  const tags = [plural]
  const lower = singular.toLowerCase()

  // Generic over the resource, so the zod provider cannot infer request types here: the schemas
  // still validate every request at runtime, and the casts below restate what they guarantee.
  type Params = { idOrSlug: string }
  return async (app) => {
    app.get(
      '/',
      {
        config: { responseCache: true },
        schema: {
          operationId: `list${singular}s`,
          summary: `List ${plural}`,
          description: `All ${plural}, sorted by name (or by how many visible published articles use them), a page at a time.`,
          tags,
          querystring: CatalogListQuerySchema,
          response: { 200: schemas.list, ...problems(400, 401) },
        },
      },
      async (request, reply) => {
        const query = request.query as CatalogListQuery
        return listPage<Counted<T>>(reply, {
          limit: query.limit,
          cursor: query.cursor,
          query: { resource: plural, sort: query.sort, withCounts: query.withCounts },
          keyOf: (row) => catalogKey(query.sort, row),
          keyLength: query.sort === 'count' ? 3 : 2,
          fetch: (limit, seek) => service.list(limit, seek, query, request.viewer),
        })
      },
    )

    app.get(
      '/:idOrSlug',
      {
        config: { responseCache: true },
        schema: {
          operationId: `get${singular}`,
          summary: `Get a ${lower}`,
          description: `One ${lower}, by id or slug.`,
          tags,
          params: IdOrSlugParamsSchema,
          response: { 200: schemas.item, ...problems(401, 404) },
        },
      },
      async (request, reply) => {
        const item = service.get((request.params as Params).idOrSlug)
        setItemValidators(reply, item)
        return item
      },
    )

    app.post(
      '/',
      {
        onRequest: requireScope('write'),
        schema: {
          operationId: `create${singular}`,
          summary: `Create a ${lower}`,
          description: options.descriptions.create,
          tags,
          security: writeSecurity,
          body: schemas.create,
          response: { 201: schemas.item, ...problems(400, 401, 403, 409, 413, 415) },
        },
      },
      async (request, reply) => {
        const item = service.create(request.body as Create)
        setItemValidators(reply, item)
        return reply.code(201).header('location', `/v1/${plural}/${item.id}`).send(item)
      },
    )

    app.patch(
      '/:idOrSlug',
      {
        onRequest: requireScope('write'),
        schema: {
          operationId: `update${singular}`,
          summary: `Update a ${lower}`,
          description: 'Applies a JSON merge patch. Send If-Match with the ETag you read to avoid overwriting a change.',
          tags,
          security: writeSecurity,
          params: IdOrSlugParamsSchema,
          body: schemas.patch,
          response: { 200: schemas.item, ...problems(400, 401, 403, 404, 409, 412, 413, 415) },
        },
      },
      async (request, reply) => {
        const item = service.update((request.params as Params).idOrSlug, request.body as Patch, request.headers['if-match'], actorOf(request))
        setItemValidators(reply, item)
        return item
      },
    )

    app.delete(
      '/:idOrSlug',
      {
        onRequest: requireScope('write'),
        schema: {
          operationId: `delete${singular}`,
          summary: `Delete a ${lower}`,
          description: options.descriptions.delete,
          tags,
          security: writeSecurity,
          params: IdOrSlugParamsSchema,
          response: { 204: z.null().describe('Deleted'), ...problems(401, 403, 404, 412, ...options.deleteProblems) },
        },
      },
      async (request, reply) => {
        service.delete((request.params as Params).idOrSlug, request.headers['if-match'], actorOf(request))
        return reply.code(204).send(null)
      },
    )
  }
}
