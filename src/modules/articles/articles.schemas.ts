import { z } from 'zod'
import { ARTICLE_STATUSES, TAG_KINDS } from '../../db/schema.js'
import {
  HttpUrlSchema,
  PageMetaSchema,
  PageQuerySchema,
  requiredText,
  SlugSchema,
  text,
  TimestampInputSchema,
  TimestampSchema,
} from '../../http/schemas.js'

export const ArticleStatusSchema = z.enum(ARTICLE_STATUSES).meta({ id: 'ArticleStatus' })

const LanguageSchema = z
  .string()
  .max(35)
  .regex(/^[A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8})*$/, 'must be a BCP 47 language tag, e.g. en or pt-BR')

const ImageSchema = z
  .object({ url: z.string().nullable(), caption: z.string().nullable(), credit: z.string().nullable() })
  .meta({ id: 'Image' })

const ImageInputSchema = z
  .strictObject({
    url: HttpUrlSchema.nullable().optional(),
    caption: text(2000).nullable().optional(),
    credit: text(300).nullable().optional(),
  })
  .meta({ id: 'ImageFields' })

const EmbeddedSourceSchema = z.object({ id: z.string(), slug: z.string(), name: z.string() }).meta({ id: 'SourceRef' })
const EmbeddedTagSchema = z
  .object({ id: z.string(), slug: z.string(), name: z.string(), kind: z.enum(TAG_KINDS) })
  .meta({ id: 'TagRef' })

const articleFields = {
  id: z.string(),
  slug: z.string(),
  headline: z.string(),
  summary: z.string().nullable(),
  body: z.string(),
  byline: z.string().nullable(),
  dateline: z.string().nullable(),
  language: z.string(),
  status: ArticleStatusSchema,
  publishedAt: TimestampSchema.nullable(),
  canonicalUrl: z.string().nullable(),
  image: ImageSchema.nullable(),
  source: EmbeddedSourceSchema.nullable(),
  tags: z.array(EmbeddedTagSchema).describe('In editorial order: the first is the primary tag.'),
  wordCount: z.number().int(),
  createdAt: TimestampSchema,
  updatedAt: TimestampSchema,
  version: z.number().int().describe('Goes up by one on every change; the ETag derives from it.'),
}

export const ArticleSchema = z.object(articleFields).meta({ id: 'Article' })
export type Article = z.infer<typeof ArticleSchema>

const { body: _body, ...summaryFields } = articleFields
export const ArticleSummarySchema = z
  .object(summaryFields)
  .meta({ id: 'ArticleSummary', description: 'An article as lists show it: everything but the body.' })
export type ArticleSummary = z.infer<typeof ArticleSummarySchema>

const RefSchema = z.string().min(1).max(200)
const TagRefsSchema = z.array(RefSchema).max(50).describe('Tag slugs or ids, primary tag first.')

const editableFields = {
  slug: SlugSchema.optional(),
  summary: text(5000).nullable().optional().describe('The standfirst.'),
  byline: text(300).nullable().optional(),
  dateline: text(300).nullable().optional(),
  language: LanguageSchema.optional(),
  publishedAt: TimestampInputSchema.nullable().optional(),
  canonicalUrl: HttpUrlSchema.nullable().optional(),
  image: ImageInputSchema.nullable().optional(),
  source: RefSchema.nullable().optional().describe('The source, by slug or id.'),
}

export const ArticleCreateSchema = z
  .strictObject({
    headline: requiredText(300),
    body: requiredText(1_000_000),
    status: z.enum(['draft', 'published']).optional().describe('Defaults to draft.'),
    tags: TagRefsSchema.optional(),
    ...editableFields,
  })
  .meta({ id: 'ArticleCreate' })
export type ArticleCreate = z.infer<typeof ArticleCreateSchema>

export const ArticlePatchSchema = z
  .strictObject({
    headline: requiredText(300).optional(),
    body: requiredText(1_000_000).optional(),
    status: ArticleStatusSchema.optional(),
    tags: TagRefsSchema.optional(),
    ...editableFields,
  })
  .meta({ id: 'ArticlePatch', description: 'A JSON merge patch (RFC 7396): null clears a field.' })
export type ArticlePatch = z.infer<typeof ArticlePatchSchema>

export const ArticleListQuerySchema = PageQuerySchema.extend({
  status: ArticleStatusSchema.default('published').describe(
    'published (default) or archived for everyone; draft needs a key with the write scope.',
  ),
})
export type ArticleListQuery = z.infer<typeof ArticleListQuerySchema>

export const ArticleListSchema = z
  .object({ data: z.array(ArticleSummarySchema), meta: PageMetaSchema })
  .meta({ id: 'ArticleList' })
