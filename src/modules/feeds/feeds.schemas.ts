import { z } from 'zod'
import { ArticleListQuerySchema, type ArticleListQuery } from '../articles/articles.schemas.js'

/** The list's filters and paging, without status, sort or fields: a feed is always the anonymous, newest-first list. */
export const FeedQuerySchema = ArticleListQuerySchema.pick({
  limit: true,
  cursor: true,
  q: true,
  tag: true,
  source: true,
  from: true,
  to: true,
  language: true,
  byline: true,
})
export type FeedQuery = z.infer<typeof FeedQuerySchema>
export type FeedFilters = Omit<FeedQuery, 'limit' | 'cursor'>

/** What an entry needs from each article: the body comes along, unlike a plain list. */
export const FEED_FIELDS = 'id,headline,summary,bodyHtml,byline,language,publishedAt,updatedAt,canonicalUrl,image,tags'

/** The article list query a feed runs: published articles only, newest first, whoever asks. */
export const toListQuery = (filters: FeedFilters, limit: number): ArticleListQuery => ({
  ...filters,
  limit,
  status: 'published',
  sort: 'newest',
  fields: FEED_FIELDS,
  highlight: false,
  count: false,
})

export type FeedFormat = 'rss' | 'atom' | 'json'

/**
 * The JSON Feed's outline, for the OpenAPI document only: the handlers send the document as a
 * string, which Fastify never runs through a response serializer.
 */
const JsonFeedSchema = z
  .looseObject({
    version: z.literal('https://jsonfeed.org/version/1.1'),
    title: z.string(),
    home_page_url: z.string(),
    feed_url: z.string(),
    next_url: z.string().optional(),
    language: z.string().optional(),
    authors: z.array(z.looseObject({ name: z.string() })),
    items: z.array(
      z.looseObject({
        id: z.string().describe('urn:newsdesk:article:{id}; never changes.'),
        url: z.string(),
        title: z.string(),
        content_html: z.string(),
        date_published: z.string(),
        date_modified: z.string(),
      }),
    ),
  })
  .meta({ id: 'JsonFeed', description: 'A JSON Feed 1.1 document (https://jsonfeed.org/version/1.1).' })

export const FEED_FORMATS: Record<
  FeedFormat,
  { mediaType: string; operationId: string; summary: string; document: z.ZodType }
> = {
  rss: {
    mediaType: 'application/rss+xml',
    operationId: 'getArticlesRss',
    summary: 'Articles as RSS 2.0',
    document: z.string().describe('An RSS 2.0 document (content:encoded carries the body, atom:link rel="next" the next page).'),
  },
  atom: {
    mediaType: 'application/atom+xml',
    operationId: 'getArticlesAtom',
    summary: 'Articles as Atom 1.0',
    document: z.string().describe('An Atom 1.0 feed document, paged with link rel="next" (RFC 5005).'),
  },
  json: {
    mediaType: 'application/feed+json',
    operationId: 'getArticlesJsonFeed',
    summary: 'Articles as JSON Feed 1.1',
    document: JsonFeedSchema,
  },
}
