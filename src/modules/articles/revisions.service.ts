import { diffLines } from 'diff'
import type { Deps } from '../../deps.js'
import { notFound } from '../../http/errors.js'
import type { Seek } from '../../http/pagination.js'
import { createArticlesRepository } from './articles.repository.js'
import { ArticleSchema, type Article, type ArticlePatch } from './articles.schemas.js'
import type { Actor, ArticlesService } from './articles.service.js'
import { readingTimeMinutes, renderBody } from './body.js'
import { createRevisionsRepository, type Revision } from './revisions.repository.js'
import { countWords } from './word-count.js'

/** What a revision restore brings back: the content and metadata, never the lifecycle state. */
const RESTORED_FIELDS = [
  'headline', 'slug', 'summary', 'body', 'bodyFormat', 'byline', 'dateline', 'language',
  'canonicalUrl', 'image', 'embargoedUntil',
] as const

/** Fields a diff ignores: they change on every version by definition. */
const BOOKKEEPING = new Set(['version', 'updatedAt', 'bodyHtml', 'bodyText', 'wordCount', 'readingTimeMinutes'])

const FIELDS = Object.keys(ArticleSchema.shape) as (keyof Article)[]
/** Fields the representation allows to be null. */
const NULLABLE = new Set(FIELDS.filter((field) => ArticleSchema.shape[field].safeParse(null).success))
/** What a field that cannot be null reads as when missing: the column's default, or derived. */
const DEFAULTS: { [K in keyof Article]?: (article: Article) => Article[K] } = {
  language: () => 'en',
  tags: () => [],
  corrections: () => [],
  wordCount: (article) => countWords(article.bodyText),
  readingTimeMinutes: (article) => readingTimeMinutes(article.wordCount), // after wordCount: FIELDS keeps the schema's order
}

/**
 * A snapshot stores the article as it was written, so one written before a field existed
 * (externalId, embargoedUntil, withdrawnAt, ...) lacks it, and the response schema would refuse
 * it with a 500. Every revision read goes through here: a missing field reads as null where
 * the representation allows null, else as its default above. bodyFormat came later than bodies,
 * which were all plain text until then: such a body is rendered again as text.
 */
function withDefaults(revision: Revision): Revision {
  const article: Partial<Article> = { ...revision.article }
  if (article.bodyFormat === undefined) {
    const { html, text } = renderBody(article.body!, 'text')
    Object.assign(article, { bodyFormat: 'text', bodyHtml: html, bodyText: text })
  }
  for (const field of FIELDS) {
    if (article[field] !== undefined) continue
    const value = NULLABLE.has(field) ? null : DEFAULTS[field]?.(article as Article)
    if (value !== undefined) Object.assign(article, { [field]: value })
  }
  return { ...revision, article: article as Article }
}

export function createRevisionsService({ db }: Deps, articles: ArticlesService) {
  const revisions = createRevisionsRepository(db)

  function articleId(idOrSlug: string): string {
    const row = createArticlesRepository(db).findRow(idOrSlug)
    if (!row || row.deletedAt !== null) throw notFound(`There is no article "${idOrSlug}".`)
    return row.id
  }

  function get(idOrSlug: string, version: number): Revision {
    const revision = revisions.get(articleId(idOrSlug), version)
    if (!revision) throw notFound(`The article "${idOrSlug}" has no revision ${version}.`)
    return withDefaults(revision)
  }

  return {
    list: (idOrSlug: string, limit: number, seek: Seek | undefined) => revisions.list(articleId(idOrSlug), limit, seek),
    get,

    /** Which fields changed from version a to b, and a line diff of the body. */
    diff(idOrSlug: string, a: number, b: number) {
      const from = get(idOrSlug, a).article
      const to = get(idOrSlug, b).article
      const fields = (Object.keys(to) as (keyof Article)[]).filter(
        (field) => !BOOKKEEPING.has(field) && JSON.stringify(from[field]) !== JSON.stringify(to[field]),
      )
      const body = diffLines(from.body, to.body).map((part) => ({
        op: part.added ? ('add' as const) : part.removed ? ('remove' as const) : ('keep' as const),
        lines: part.count ?? 0,
        value: part.value,
      }))
      return { from: a, to: b, fields, changes: Object.fromEntries(fields.map((f) => [f, { from: from[f], to: to[f] }])), body }
    },

    /** A new version whose content equals an old one; history is never rewritten. */
    restore(idOrSlug: string, version: number, ifMatch: string | undefined, actor: Actor): Article {
      const old = get(idOrSlug, version).article
      const patch: ArticlePatch = {
        ...Object.fromEntries(RESTORED_FIELDS.map((field) => [field, old[field]])),
        image: old.image ?? null,
        source: old.source?.id ?? null,
        tags: old.tags.map((tag) => tag.id),
      }
      return articles.update(old.id, patch, ifMatch, actor)
    },
  }
}

export type RevisionsService = ReturnType<typeof createRevisionsService>
