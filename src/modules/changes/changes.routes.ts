import type { FastifyPluginAsyncZod } from '@fastify/type-provider-zod'
import type { ChangesService } from './changes.service.js'
import { ChangeListSchema, changeProblems, ChangesQuerySchema } from './changes.schemas.js'

export const changesRoutes: FastifyPluginAsyncZod<{ service: ChangesService }> = async (app, { service }) => {
  app.get(
    '/',
    {
      schema: {
        operationId: 'listChanges',
        summary: 'Follow the change feed',
        description:
          'What changed in the public article list, in order: `upsert` events carry the article as an anonymous reader sees it, `remove` events say why it left (deleted, unpublished, withdrawn, archived, embargoed). Start without `since`, apply every event, then call again with `meta.nextCursor`; scheduled articles and ended embargoes appear when their time comes. Only the newest event per article is kept. A cursor older than the tombstone retention (CHANGES_RETENTION_DAYS, default 30) is a 410: resync from GET /v1/export.',
        tags: ['syndication'],
        querystring: ChangesQuerySchema,
        response: { 200: ChangeListSchema, ...changeProblems },
      },
    },
    async (request) => service.read(request.query.since, request.query.limit),
  )
}
