import type { FastifyPluginAsyncZod } from '@fastify/type-provider-zod'
import { z } from 'zod'
import { actorOf, canSeeUnpublished, requireScope } from '../../http/auth.js'
import { itemNotModified, setItemValidators } from '../../http/conditional.js'
import { listPage } from '../../http/pagination.js'
import { IdOrSlugParamsSchema, problems } from '../../http/schemas.js'
import { appendVary } from '../../http/vary.js'
import type { ArticleListRow } from './articles.repository.js'
import type { ArticlesService } from './articles.service.js'
import {
  ArticleCreateSchema,
  ArticleListQuerySchema,
  ArticleListSchema,
  ArticlePatchSchema,
  ArticleSchema,
  RelatedListSchema,
  RelatedQuerySchema,
} from './articles.schemas.js'
import { rowShapingParams, type ArticleListService } from './list-service.js'
import { NINJS_CONTENT_TYPE, prefersNinjs, readableAnonymously, requestBaseUrl, toNinjs } from './ninjs.js'

const tags = ['articles']
const writeSecurity = [{ bearerAuth: [] }]

export const articlesRoutes: FastifyPluginAsyncZod<{ service: ArticlesService; lists: ArticleListService }> = async (
  app,
  { service, lists },
) => {
  app.get(
    '/',
    {
      config: { responseCache: true },
      schema: {
        operationId: 'listArticles',
        summary: 'List and search articles',
        description:
          'Published articles, newest first, without their bodies; filter by tags, source, dates, language and byline, search with `q`, sort, pick fields, count and facet. `status=draft` needs a key with the write scope. Cursors belong to one query: change a filter and start again.',
        tags,
        querystring: ArticleListQuerySchema,
        response: { 200: ArticleListSchema, ...problems(400, 401, 403) },
      },
    },
    async (request, reply) => {
      const { limit, cursor } = request.query
      let extra: Omit<ReturnType<ArticleListService['list']>, 'rows'> = { total: undefined, facets: undefined }
      const page = listPage<ArticleListRow>(reply, {
        limit,
        cursor,
        query: { resource: 'articles', ...rowShapingParams(request.query), sort: lists.sortOf(request.query) },
        keyOf: (row) => row.cursorKey,
        keyLength: 2,
        fetch: (n, seek) => {
          const { rows, ...rest } = lists.list(request.query, request.viewer, n, seek)
          extra = rest
          return rows
        },
      })
      return { data: page.data, meta: { ...page.meta, ...extra } }
    },
  )

  app.get(
    '/:idOrSlug',
    {
      config: { responseCache: true },
      schema: {
        operationId: 'getArticle',
        summary: 'Get an article',
        description:
          'One article, by id or slug. Drafts, scheduled and embargoed articles are visible only with a key that has the write scope; a withdrawn article answers 410 with its reason, a deleted one 410. ' +
          'With `Accept: application/ninjs+json` ranked above application/json (q-values count; `*/*` and no Accept give JSON) it comes as an IPTC ninjs 3.1 document with its own ETag (`"v3-ninjs"`).',
        tags,
        params: IdOrSlugParamsSchema,
        response: { 200: ArticleSchema, ...problems(401, 404, 410) },
      },
    },
    async (request, reply) => {
      const found = service.find(request.params.idOrSlug, request.viewer)
      appendVary(reply, 'Accept')
      const ninjs = prefersNinjs(request.headers.accept)
      // A current copy is answered from the version alone: no body is built (conditional.ts).
      if (itemNotModified(request, reply, found.row, ninjs ? 'ninjs' : undefined)) return reply.send('' as never)
      const article = found.toArticle()
      if (!ninjs) return article
      const publiclyVisible = !canSeeUnpublished(request.viewer) || readableAnonymously(() => service.get(article.id, null))
      const document = toNinjs(article, { baseUrl: requestBaseUrl(request.protocol, request.host), publiclyVisible })
      // A string with a JSON content type goes out as it is, past the zod serializer.
      return reply.type(NINJS_CONTENT_TYPE).send(JSON.stringify(document) as never)
    },
  )

  app.get(
    '/:idOrSlug/related',
    {
      config: { responseCache: true },
      schema: {
        operationId: 'listRelatedArticles',
        summary: 'Related articles',
        description:
          'Visible published articles like this one, best first: ranked by shared tags (rarer tags weigh more), then by how closely their wording matches its headline and summary. Never the article itself.',
        tags,
        params: IdOrSlugParamsSchema,
        querystring: RelatedQuerySchema,
        response: { 200: RelatedListSchema, ...problems(400, 401, 404) },
      },
    },
    async (request) => {
      const article = service.get(request.params.idOrSlug, request.viewer)
      return { data: lists.related(article.id, request.viewer, request.query.limit) }
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
      const article = service.create(request.body, actorOf(request))
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
      const article = service.update(request.params.idOrSlug, request.body, request.headers['if-match'], actorOf(request))
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
        description:
          'Moves the article to the trash: everyone then gets 410 for it; key holders can list the trash (GET /v1/trash) and restore it within the retention period (TRASH_RETENTION_DAYS, default 30).',
        tags,
        security: writeSecurity,
        params: IdOrSlugParamsSchema,
        response: { 204: z.null().describe('Deleted'), ...problems(401, 403, 404, 412) },
      },
    },
    async (request, reply) => {
      service.trash(request.params.idOrSlug, request.headers['if-match'], actorOf(request))
      return reply.code(204).send(null)
    },
  )
}
