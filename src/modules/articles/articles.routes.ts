import type { FastifyPluginAsyncZod } from '@fastify/type-provider-zod'
import { z } from 'zod'
import { requireScope } from '../../http/auth.js'
import { setItemValidators } from '../../http/conditional.js'
import { listPage } from '../../http/pagination.js'
import { IdOrSlugParamsSchema, problems } from '../../http/schemas.js'
import type { ArticleListRow } from './articles.repository.js'
import type { ArticlesService } from './articles.service.js'
import {
  ArticleCreateSchema,
  ArticleListQuerySchema,
  ArticleListSchema,
  ArticlePatchSchema,
  ArticleSchema,
} from './articles.schemas.js'

const tags = ['articles']
const writeSecurity = [{ bearerAuth: [] }]

export const articlesRoutes: FastifyPluginAsyncZod<{ service: ArticlesService }> = async (app, { service }) => {
  app.get(
    '/',
    {
      schema: {
        operationId: 'listArticles',
        summary: 'List articles',
        description:
          'Articles newest first (by publication time, then id), without their bodies. Published articles for everyone; `status=draft` needs a key with the write scope.',
        tags,
        querystring: ArticleListQuerySchema,
        response: { 200: ArticleListSchema, ...problems(400, 401, 403) },
      },
    },
    async (request, reply) => {
      const { limit, cursor, ...filter } = request.query
      return listPage<ArticleListRow>(reply, {
        limit,
        cursor,
        query: { resource: 'articles', ...filter },
        keyOf: (a) => [a.sortAt, a.id],
        keyLength: 2,
        fetch: (n, seek) => service.list(filter, request.viewer, n, seek),
      })
    },
  )

  app.get(
    '/:idOrSlug',
    {
      schema: {
        operationId: 'getArticle',
        summary: 'Get an article',
        description: 'One article, by id or slug. Drafts are visible only with a key that has the write scope.',
        tags,
        params: IdOrSlugParamsSchema,
        response: { 200: ArticleSchema, ...problems(401, 404) },
      },
    },
    async (request, reply) => {
      const article = service.get(request.params.idOrSlug, request.viewer)
      setItemValidators(reply, article)
      return article
    },
  )

  app.post(
    '/',
    {
      onRequest: requireScope('write'),
      schema: {
        operationId: 'createArticle',
        summary: 'Create an article',
        description:
          'Creates an article, a draft unless `status` is published. Name the source and tags by slug or id; unknown ones are a 422 that lists them all.',
        tags,
        security: writeSecurity,
        body: ArticleCreateSchema,
        response: { 201: ArticleSchema, ...problems(400, 401, 403, 409, 413, 415, 422) },
      },
    },
    async (request, reply) => {
      const article = service.create(request.body)
      setItemValidators(reply, article)
      return reply.code(201).header('location', `/v1/articles/${article.id}`).send(article)
    },
  )

  app.patch(
    '/:idOrSlug',
    {
      onRequest: requireScope('write'),
      schema: {
        operationId: 'updateArticle',
        summary: 'Update an article',
        description:
          'Applies a JSON merge patch (null clears a field; `image` merges field by field). Changing `status` follows the article lifecycle; a refused move is a 409 listing the allowed ones. Send If-Match to avoid overwriting someone else’s change.',
        tags,
        security: writeSecurity,
        params: IdOrSlugParamsSchema,
        body: ArticlePatchSchema,
        response: { 200: ArticleSchema, ...problems(400, 401, 403, 404, 409, 412, 413, 415, 422) },
      },
    },
    async (request, reply) => {
      const article = service.update(request.params.idOrSlug, request.body, request.headers['if-match'])
      setItemValidators(reply, article)
      return article
    },
  )

  app.delete(
    '/:idOrSlug',
    {
      onRequest: requireScope('write'),
      schema: {
        operationId: 'deleteArticle',
        summary: 'Delete an article',
        description: 'Deletes an article and its tag links.',
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
