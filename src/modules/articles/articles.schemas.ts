import { z } from 'zod'
import { ARTICLE_STATUSES, BODY_FORMATS, TAG_KINDS } from '../../db/schema.js'
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

export const ArticleStatusSchema = z
  .enum(['draft', 'scheduled', 'published', 'archived', 'withdrawn'])
  .meta({
    id: 'ArticleStatus',
    description: 'scheduled: published with a publishedAt still ahead; it goes live by the clock alone.',
  })

export const LanguageSchema = z
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

/** A partner's or archive's own id for an article (ninjs altIds); unique, so imports can upsert by it. */
export const ExternalIdSchema = requiredText(200).describe(
  'Your own unique id for the article (ninjs altIds), e.g. an agency or archive id: imports upsert by it.',
)

const articleFields = {
  id: z.string(),
  slug: z.string(),
  externalId: z.string().nullable().describe('Your own unique id for the article (ninjs altIds), or null.'),
  headline: z.string(),
  summary: z.string().nullable(),
  body: z.string().describe('Exactly as sent, in bodyFormat.'),
  bodyFormat: z.enum(BODY_FORMATS),
  bodyHtml: z.string().describe('The body rendered to HTML and sanitised with an allowlist.'),
  bodyText: z.string().describe('The body as plain text: what search, word counts and feeds use.'),
  byline: z.string().nullable(),
  dateline: z.string().nullable(),
  language: z.string(),
  status: ArticleStatusSchema,
  publishedAt: TimestampSchema.nullable(),
  embargoedUntil: TimestampSchema.nullable().describe('Hidden from anonymous readers until then, even when published.'),
  withdrawnAt: TimestampSchema.nullable(),
  withdrawalReason: z.string().nullable().describe('The public reason an article was withdrawn.'),
  canonicalUrl: z.string().nullable(),
  image: ImageSchema.nullable(),
  source: EmbeddedSourceSchema.nullable(),
  tags: z.array(EmbeddedTagSchema).describe('In editorial order: the first is the primary tag.'),
  wordCount: z.number().int(),
  readingTimeMinutes: z.number().int(),
  corrections: z
    .array(z.object({ at: TimestampSchema, text: z.string() }).meta({ id: 'Correction' }))
    .describe('Public notes of what was corrected, oldest first.'),
  deletedAt: TimestampSchema.nullable().describe('In the trash since then (only key holders see trashed articles).'),
  createdAt: TimestampSchema,
  updatedAt: TimestampSchema,
  version: z.number().int().describe('Goes up by one on every change; the ETag derives from it.'),
}

export const ArticleSchema = z.object(articleFields).meta({ id: 'Article' })
export type Article = z.infer<typeof ArticleSchema>

/** The fields only a full article carries; lists leave them out unless `fields` asks. */
export const BODY_FIELDS = ['body', 'bodyHtml', 'bodyText'] as const
const { body: _b, bodyHtml: _h, bodyText: _t, corrections: _c, ...summaryFields } = articleFields
export type ArticleSummary = z.infer<z.ZodObject<typeof summaryFields>>

/** What `fields` may name in a list (corrections come with the full article only). */
export const LIST_FIELDS = Object.keys(articleFields).filter((f) => f !== 'corrections') as (keyof Article)[]

const RefSchema = z.string().min(1).max(200)
const TagRefsSchema = z.array(RefSchema).max(50).describe('Tag slugs or ids, primary tag first.')

const editableFields = {
  slug: SlugSchema.optional(),
  externalId: ExternalIdSchema.nullable().optional(),
  bodyFormat: z.enum(BODY_FORMATS).optional().describe('How to read body: text (default), markdown or html.'),
  summary: text(5000).nullable().optional().describe('The standfirst.'),
  byline: text(300).nullable().optional(),
  dateline: text(300).nullable().optional(),
  language: LanguageSchema.optional(),
  publishedAt: TimestampInputSchema.nullable().optional(),
  embargoedUntil: TimestampInputSchema.nullable().optional().describe('Hidden from anonymous readers until then.'),
  canonicalUrl: HttpUrlSchema.nullable().optional(),
  image: ImageInputSchema.nullable().optional(),
  source: RefSchema.nullable().optional().describe('The source, by slug or id.'),
}

export const ArticleCreateSchema = z
  .strictObject({
    headline: requiredText(300),
    body: requiredText(1_000_000),
    status: z
      .enum(['draft', 'published'])
      .optional()
      .describe('Defaults to draft. published with a future publishedAt schedules it.'),
    tags: TagRefsSchema.optional(),
    ...editableFields,
  })
  .meta({ id: 'ArticleCreate' })
export type ArticleCreate = z.infer<typeof ArticleCreateSchema>

export const ArticlePatchSchema = z
  .strictObject({
    headline: requiredText(300).optional(),
    body: requiredText(1_000_000).optional(),
    status: z
      .enum(ARTICLE_STATUSES)
      .optional()
      .describe('The same move as the transition endpoints; withdrawing needs POST .../withdraw and a reason.'),
    tags: TagRefsSchema.optional(),
    ...editableFields,
  })
  .meta({ id: 'ArticlePatch', description: 'A JSON merge patch (RFC 7396): null clears a field.' })
export type ArticlePatch = z.infer<typeof ArticlePatchSchema>

const DateOrTimeSchema = z
  .union([z.iso.date(), z.iso.datetime({ offset: true })])
  .describe('A date (the whole day, UTC) or a date-time.')

export const SORTS = ['newest', 'oldest', 'updated', 'relevance'] as const
export type Sort = (typeof SORTS)[number]
export const FACETS = ['tag', 'source', 'month'] as const
export type Facet = (typeof FACETS)[number]

export const ArticleListQuerySchema = PageQuerySchema.extend({
  q: z
    .string()
    .max(2000)
    .optional()
    .describe('Full-text search: words (all must match), "exact phrase", prefix*, OR, -excluded.'),
  tag: z
    .string()
    .max(1000)
    .optional()
    .describe('Tag slugs: `a,b` both, `a|b` either, `-a` not; e.g. syria,-opinion.'),
  source: z.string().max(1000).optional().describe('Source slugs, comma-separated: any of them.'),
  from: DateOrTimeSchema.optional().describe('Published at or after (a date means from its start, UTC).'),
  to: DateOrTimeSchema.optional().describe('Published at or before (a date means to its end, UTC).'),
  updatedSince: DateOrTimeSchema.optional().describe('Updated at or after.'),
  language: LanguageSchema.optional(),
  byline: z.string().max(300).optional().describe('Exact byline.'),
  status: ArticleStatusSchema.default('published').describe(
    'published (default) or archived for everyone; draft, scheduled and withdrawn need a key with the write scope.',
  ),
  sort: z.enum(SORTS).optional().describe('newest (default), oldest, updated, or relevance (default with q).'),
  fields: z
    .string()
    .max(500)
    .optional()
    .describe('Sparse fieldset, e.g. id,slug,headline,publishedAt. Lists leave out body, bodyHtml and bodyText unless named.'),
  highlight: z.stringbool().default(false).describe('With q: add a highlight snippet, matches in <mark>.'),
  count: z.stringbool().default(false).describe('Add meta.total.'),
  facets: z.string().max(100).optional().describe('Comma-separated: tag, source, month.'),
})
export type ArticleListQuery = z.infer<typeof ArticleListQuerySchema>

export const ArticleListItemSchema = z
  .object({
    ...z.object(articleFields).partial().shape,
    highlight: z.string().optional().describe('With highlight=true: the best passage, HTML-escaped, matches in <mark>.'),
  })
  .meta({
    id: 'ArticleListItem',
    description: 'An article in a list: every field but the body ones by default, or those `fields` names.',
  })

const FacetValueSchema = z.object({ slug: z.string(), name: z.string(), count: z.number().int() })
export const FacetsSchema = z
  .object({
    tag: z.array(FacetValueSchema).optional(),
    source: z.array(FacetValueSchema).optional(),
    month: z.array(z.object({ month: z.string().describe('YYYY-MM, UTC'), count: z.number().int() })).optional(),
  })
  .meta({ id: 'Facets' })
export type Facets = z.infer<typeof FacetsSchema>

export const ArticleListSchema = z
  .object({
    data: z.array(ArticleListItemSchema),
    meta: PageMetaSchema.extend({
      total: z.number().int().optional().describe('With count=true: how many articles match.'),
      facets: FacetsSchema.optional(),
    }),
  })
  .meta({ id: 'ArticleList' })

export const RelatedQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(50).default(10),
})
export const RelatedListSchema = z
  .object({ data: z.array(ArticleListItemSchema) })
  .meta({ id: 'RelatedArticles' })

export const TransitionSchemas = {
  publish: z
    .strictObject({
      at: TimestampInputSchema.optional().describe('When it goes live; in the future it is scheduled. Default: now.'),
    })
    .meta({ id: 'PublishRequest' }),
  withdraw: z
    .strictObject({ reason: requiredText(2000).describe('Shown to readers with the 410 answer.') })
    .meta({ id: 'WithdrawRequest' }),
  correction: z.strictObject({ text: requiredText(5000) }).meta({ id: 'CorrectionRequest' }),
}
