import type { FastifyPluginAsyncZod } from '@fastify/type-provider-zod'
import { listPage } from '../../http/pagination.js'
import { problems } from '../../http/schemas.js'
import type { ArticleListRow } from '../articles/articles.repository.js'
import type { ArticleListService } from '../articles/list-service.js'
import type { FeedArticle } from './feeds.builder.js'
import { feedLinks } from './feeds.links.js'
import { renderFeed } from './feeds.render.js'
import { FEED_FORMATS, FeedQuerySchema, toListQuery, type FeedFormat } from './feeds.schemas.js'

const DESCRIPTION =
  'Published articles as an anonymous reader sees them (never drafts, scheduled, embargoed, archived or deleted ones, ' +
  'whoever asks), newest first, with their full HTML bodies. Takes the filters of GET /v1/articles; `limit` up to 100. ' +
  'Entry ids (urn:newsdesk:article:{id}) never change when an article is edited. Pages follow the cursor in the ' +
  'next link (also in the Link header).'

export const feedsRoutes: FastifyPluginAsyncZod<{ lists: ArticleListService; clock: () => number }> = async (
  app,
  { lists, clock },
) => {
  for (const [format, { mediaType, operationId, summary, document }] of Object.entries(FEED_FORMATS)) {
    app.get(
      `/articles.${format}`,
      {
        config: { responseCache: true },
        schema: {
          operationId,
          summary,
          description: DESCRIPTION,
          tags: ['feeds'],
          querystring: FeedQuerySchema,
          produces: [mediaType],
          response: { 200: document, ...problems(400, 401) },
        },
      },
      async (request, reply) => {
        const { limit, cursor, ...filters } = request.query
        const page = listPage<ArticleListRow>(reply, {
          limit,
          cursor,
          query: { resource: 'article-feed', ...filters },
          keyOf: (row) => row.cursorKey,
          keyLength: 2,
          // Always as an anonymous reader: a feed is public, even when a key holder fetches it.
          fetch: (n, seek) => lists.list(toListQuery(filters, n), null, n, seek).rows,
        })
        const links = feedLinks(request, page.meta)
        const body = renderFeed[format as FeedFormat]({ articles: page.data as FeedArticle[], links, filters, now: clock() })
        return reply.type(`${mediaType}; charset=utf-8`).send(body)
      },
    )
  }
}
