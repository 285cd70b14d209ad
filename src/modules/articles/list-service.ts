import type { Db } from '../../db/client.js'
import { canSeeUnpublished, type Viewer } from '../../http/auth.js'
import { forbidden, unauthorized } from '../../http/errors.js'
import type { Seek } from '../../http/pagination.js'
import { createSourcesRepository } from '../sources/sources.repository.js'
import { createTagsRepository } from '../tags/tags.repository.js'
import type { ListFilter } from './list-sql.js'
import { createArticlesRepository, type ArticleListRow } from './articles.repository.js'
import { BODY_FIELDS, LIST_FIELDS, FACETS, type ArticleListQuery, type Facets, type Sort } from './articles.schemas.js'
import { checkCombinations, parseBound, parseList, parseSlugList, parseTagExpression } from './list-filter.js'
import { similarityExpression, toMatchExpression } from './search-query.js'

/** The parameters that choose rows (and so shape cursors), as opposed to how rows are shown. */
export const rowShapingParams = ({ q, tag, source, from, to, updatedSince, language, byline, status, sort }: ArticleListQuery) => ({
  q, tag, source, from, to, updatedSince, language, byline, status, sort,
})

/** Reading lists of articles: filters, search, sorts, counts, facets and related articles. */
export function createArticleListService(db: Db, clock: () => number) {
  const articles = createArticlesRepository(db)
  const tags = createTagsRepository(db)
  const sources = createSourcesRepository(db)

  function tagIdsBySlug(slugs: string[]): Map<string, string> {
    return new Map(tags.findMany(slugs).map((tag) => [tag.slug, tag.id]))
  }

  function toFilter(query: ArticleListQuery, viewer: Viewer): ListFilter {
    checkCombinations(query)
    if (query.status !== 'published' && query.status !== 'archived' && !canSeeUnpublished(viewer)) {
      const needs = `Listing ${query.status} articles needs an API key with the "write" scope`
      if (viewer === null) throw unauthorized(`${needs}.`)
      throw forbidden(`${needs}; your key has "${viewer.scope}".`)
    }
    const now = clock()
    const expression = query.tag === undefined ? { all: [], none: [] } : parseTagExpression(query.tag)
    const ids = tagIdsBySlug([...expression.all.flat(), ...expression.none])
    const idsOf = (slugs: string[]) => slugs.flatMap((slug) => ids.get(slug) ?? [])
    const sourceSlugs = query.source === undefined ? undefined : parseSlugList(query.source, '/source')
    return {
      now,
      status: query.status,
      viewer,
      match: query.q === undefined ? undefined : toMatchExpression(query.q),
      tagGroups: expression.all.map(idsOf),
      excludedTagIds: idsOf(expression.none),
      sourceIds: sourceSlugs && sources.findMany(sourceSlugs).map((s) => s.id),
      from: query.from === undefined ? undefined : parseBound(query.from, 'start'),
      to: query.to === undefined ? undefined : parseBound(query.to, 'end'),
      updatedSince: query.updatedSince === undefined ? undefined : parseBound(query.updatedSince, 'start'),
      language: query.language,
      byline: query.byline,
    }
  }

  return {
    sortOf: (query: ArticleListQuery): Sort => query.sort ?? (query.q ? 'relevance' : 'newest'),

    /** Rows for one page (limit + 1 of them), plus the total and facets when asked. */
    list(query: ArticleListQuery, viewer: Viewer, limit: number, seek: Seek | undefined) {
      const filter = toFilter(query, viewer)
      const fields = parseList(query.fields, LIST_FIELDS, '/fields')
      const withBody = fields.some((field) => (BODY_FIELDS as readonly string[]).includes(field))
      const rows = articles.list(filter, { sort: this.sortOf(query), withBody, highlight: query.highlight, limit, seek })
      const facets = parseList(query.facets, FACETS, '/facets')
      return {
        rows: fields.length === 0 ? rows : rows.map((row) => pick(row, fields)),
        total: query.count ? articles.count(filter) : undefined,
        facets: facets.length === 0 ? undefined : (articles.facets(filter, facets) satisfies Facets),
      }
    },

    /** Visible published articles like this one: shared (rarer) tags first, then similar wording. */
    related(articleId: string, viewer: Viewer, limit: number) {
      const now = clock()
      const article = articles.findRow(articleId)!
      const text = similarityExpression(`${article.headline} ${article.summary ?? ''}`)
      const { byTags, byText } = articles.related(article.id, articles.tagIds(article.id), text, viewer, now, limit)
      const score = new Map<string, { tags: number; text: number }>()
      for (const { id, score: s } of byTags) score.set(id, { tags: s, text: Infinity })
      for (const { id, rank } of byText) score.set(id, { tags: score.get(id)?.tags ?? 0, text: rank })
      const ranked = [...score.entries()].sort(([, a], [, b]) => b.tags - a.tags || a.text - b.text)
      return articles.summaries(ranked.slice(0, limit).map(([id]) => id), now)
    },
  }
}

/** A sparse fieldset: only the fields named (the cursor key and highlight ride along). */
function pick(row: ArticleListRow, fields: string[]): ArticleListRow {
  const picked: ArticleListRow = { cursorKey: row.cursorKey }
  for (const field of fields) (picked as Record<string, unknown>)[field] = (row as Record<string, unknown>)[field]
  if (row.highlight !== undefined) picked.highlight = row.highlight
  return picked
}

export type ArticleListService = ReturnType<typeof createArticleListService>
