import type { FastifyPluginAsyncZod } from '@fastify/type-provider-zod'
import { z } from 'zod'
import { requireScope } from '../../http/auth.js'
import { listPage } from '../../http/pagination.js'
import { PageMetaSchema, PageQuerySchema, problems } from '../../http/schemas.js'
import type { ArticleListRow } from './articles.repository.js'
import { ArticleListItemSchema } from './articles.schemas.js'
import type { ArticlesService } from './articles.service.js'

const TrashListSchema = z.object({ data: z.array(ArticleListItemSchema), meta: PageMetaSchema }).meta({ id: 'TrashList' })

/** GET /v1/trash: deleted articles that can still be restored (POST /v1/articles/{id}/restore). */
export const trashRoutes: FastifyPluginAsyncZod<{ service: ArticlesService }> = async (app, { service }) => {
  app.get(
    '/',
    {
      onRequest: requireScope('write'),
      schema: {
        operationId: 'listTrash',
        summary: 'List the trash',
        description: 'Deleted articles, most recently deleted first, with deletedAt. Restore one with POST /v1/articles/{id}/restore.',
        tags: ['articles'],
        security: [{ bearerAuth: [] }],
        querystring: PageQuerySchema,
        response: { 200: TrashListSchema, ...problems(400, 401, 403) },
      },
    },
    async (request, reply) =>
      listPage<ArticleListRow>(reply, {
        ...request.query,
        query: { resource: 'trash' },
        keyOf: (row) => row.cursorKey,
        keyLength: 2,
        fetch: service.listTrash,
      }),
  )
}
