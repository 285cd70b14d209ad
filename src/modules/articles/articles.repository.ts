import { and, asc, eq, getTableColumns, inArray, or, sql, type SQL } from 'drizzle-orm'
import type { DbOrTx } from '../../db/client.js'
import { keyset } from '../../db/keyset.js'
import { articles, articleTags, sources, tags } from '../../db/schema.js'
import type { Seek } from '../../http/pagination.js'
import { iso, isoOrNull } from '../../http/schemas.js'
import type { Article, ArticleSummary } from './articles.schemas.js'

export type ArticleRow = typeof articles.$inferSelect
type SummaryRow = Omit<ArticleRow, 'body'>
type TagRef = Article['tags'][number]
/** A list row: the summary plus its position in the list order. */
export type ArticleListRow = ArticleSummary & { sortAt: number }

const { body: _body, ...summaryColumns } = getTableColumns(articles)

function toSummary(row: SummaryRow, source: Article['source'], tagRefs: TagRef[]): ArticleSummary {
  const hasImage = row.imageUrl !== null || row.imageCaption !== null || row.imageCredit !== null
  return {
    id: row.id,
    slug: row.slug,
    headline: row.headline,
    summary: row.summary,
    byline: row.byline,
    dateline: row.dateline,
    language: row.language,
    status: row.status,
    publishedAt: isoOrNull(row.publishedAt),
    canonicalUrl: row.canonicalUrl,
    image: hasImage ? { url: row.imageUrl, caption: row.imageCaption, credit: row.imageCredit } : null,
    source,
    tags: tagRefs,
    wordCount: row.wordCount,
    createdAt: iso(row.createdAt),
    updatedAt: iso(row.updatedAt),
    version: row.version,
  }
}

export function createArticlesRepository(db: DbOrTx) {
  /** Tags and sources for a set of rows: one query each, however many rows. */
  function embed<R extends SummaryRow>(rows: R[]) {
    const ids = rows.map((r) => r.id)
    const sourceIds = [...new Set(rows.flatMap((r) => (r.sourceId === null ? [] : [r.sourceId])))]
    const tagRows =
      ids.length === 0
        ? []
        : db
            .select({ articleId: articleTags.articleId, id: tags.id, slug: tags.slug, name: tags.name, kind: tags.kind })
            .from(articleTags)
            .innerJoin(tags, eq(tags.id, articleTags.tagId))
            .where(inArray(articleTags.articleId, ids))
            .orderBy(asc(articleTags.articleId), asc(articleTags.position))
            .all()
    const sourceRows =
      sourceIds.length === 0
        ? []
        : db.select({ id: sources.id, slug: sources.slug, name: sources.name }).from(sources).where(inArray(sources.id, sourceIds)).all()
    const tagsByArticle = new Map<string, TagRef[]>()
    for (const { articleId, ...tag } of tagRows) {
      const list = tagsByArticle.get(articleId) ?? []
      list.push(tag)
      tagsByArticle.set(articleId, list)
    }
    const sourceById = new Map(sourceRows.map((s) => [s.id, s]))
    return rows.map((row) =>
      toSummary(row, row.sourceId === null ? null : (sourceById.get(row.sourceId) ?? null), tagsByArticle.get(row.id) ?? []),
    )
  }

  return {
    /** The stored row by id or slug, if `visible` (from visibleTo) allows it. */
    findRow(idOrSlug: string, visible?: SQL): ArticleRow | undefined {
      return db
        .select()
        .from(articles)
        .where(and(or(eq(articles.id, idOrSlug), eq(articles.slug, idOrSlug)), visible))
        .get()
    },

    toArticle(row: ArticleRow): Article {
      const [summary] = embed([row])
      return { ...summary!, body: row.body }
    },

    /** Newest first by publication (or creation) time, then id. */
    list(filter: { status: ArticleRow['status']; visible?: SQL }, limit: number, seek: Seek | undefined): ArticleListRow[] {
      const page = keyset([articles.sortAt, articles.id], seek, 'desc')
      const rows = db
        .select(summaryColumns)
        .from(articles)
        .where(and(eq(articles.status, filter.status), filter.visible, page.where))
        .orderBy(...page.orderBy)
        .limit(limit)
        .all()
      return embed(rows).map((summary, i) => ({ ...summary, sortAt: rows[i]!.sortAt! }))
    },

    slugTaken(slug: string): boolean {
      return db.select({ id: articles.id }).from(articles).where(eq(articles.slug, slug)).get() !== undefined
    },

    insert(row: typeof articles.$inferInsert): ArticleRow {
      return db.insert(articles).values(row).returning().get()
    },

    update(id: string, changes: Partial<typeof articles.$inferInsert>): ArticleRow {
      return db.update(articles).set(changes).where(eq(articles.id, id)).returning().get()
    },

    setTags(articleId: string, tagIds: readonly string[]) {
      db.delete(articleTags).where(eq(articleTags.articleId, articleId)).run()
      if (tagIds.length === 0) return
      db.insert(articleTags)
        .values(tagIds.map((tagId, position) => ({ articleId, tagId, position })))
        .run()
    },

    tagIds(articleId: string): string[] {
      return db
        .select({ id: articleTags.tagId })
        .from(articleTags)
        .where(eq(articleTags.articleId, articleId))
        .orderBy(asc(articleTags.position))
        .all()
        .map((r) => r.id)
    },

    delete(id: string) {
      db.delete(articles).where(eq(articles.id, id)).run()
    },

    /** A new version for every article that embeds the source (its name or slug changed). */
    touchWhereSource(sourceId: string, now: number) {
      db.update(articles)
        .set({ version: sql`${articles.version} + 1`, updatedAt: now })
        .where(eq(articles.sourceId, sourceId))
        .run()
    },

    /** A new version for every article that carries the tag (it changed or is going away). */
    touchWhereTag(tagId: string, now: number) {
      db.update(articles)
        .set({ version: sql`${articles.version} + 1`, updatedAt: now })
        .where(inArray(articles.id, db.select({ id: articleTags.articleId }).from(articleTags).where(eq(articleTags.tagId, tagId))))
        .run()
    },
  }
}

export type ArticlesRepository = ReturnType<typeof createArticlesRepository>
