import { diffLines } from 'diff'
import type { Deps } from '../../deps.js'
import { notFound } from '../../http/errors.js'
import type { Seek } from '../../http/pagination.js'
import { createArticlesRepository } from './articles.repository.js'
import type { Article, ArticlePatch } from './articles.schemas.js'
import type { Actor, ArticlesService } from './articles.service.js'
import { createRevisionsRepository, type Revision } from './revisions.repository.js'

/** What a revision restore brings back: the content and metadata, never the lifecycle state. */
const RESTORED_FIELDS = [
  'headline', 'slug', 'summary', 'body', 'bodyFormat', 'byline', 'dateline', 'language',
  'canonicalUrl', 'image', 'embargoedUntil',
] as const

/** Fields a diff ignores: they change on every version by definition. */
const BOOKKEEPING = new Set(['version', 'updatedAt', 'bodyHtml', 'bodyText', 'wordCount', 'readingTimeMinutes'])

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
    return revision
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
