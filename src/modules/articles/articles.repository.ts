import { and, asc, eq, getTableColumns, gte, inArray, isNotNull, lt, or, sql, type SQL } from 'drizzle-orm'
import type { DbOrTx } from '../../db/client.js'
import { articles, articleTags, sources, tags } from '../../db/schema.js'
import type { Seek, SortKey } from '../../http/pagination.js'
import { keyset } from '../../db/keyset.js'
import { iso, isoOrNull } from '../../http/schemas.js'
import type { Article, ArticleSummary } from './articles.schemas.js'
import { readingTimeMinutes } from './body.js'
import { createArticleQueries } from './article-queries.js'
import type { ListFilter, ListOptions } from './list-sql.js'
import { createRelatedQueries } from './related-queries.js'
import { inJsonArray, once } from './prepared.js'
import { stateOf } from './lifecycle.js'
import { createRevisionsRepository } from './revisions.repository.js'
import { renderHighlight } from './search-query.js'

export type ArticleRow = typeof articles.$inferSelect
type SummaryRow = Omit<ArticleRow, 'body' | 'bodyHtml' | 'bodyText'>
type TagRef = Article['tags'][number]
type SourceRef = NonNullable<Article['source']>
/** A list row: the article (as far as the list shows it), its cursor key and any highlight. */
export type ArticleListRow = Partial<Article> & { cursorKey: SortKey; highlight?: string }

const { body: _b, bodyHtml: _h, bodyText: _t, ...summaryColumns } = getTableColumns(articles)
export { summaryColumns }

// Inserts name every column (so one prepared statement serves every row): a column the row
// leaves out gets its declared default, or null.
const { docId: _docId, sortAt: _sortAt, ...insertColumns } = getTableColumns(articles)
const INSERT_KEYS = Object.keys(insertColumns) as (keyof typeof insertColumns)[]
const INSERT_DEFAULTS: Record<string, unknown> = {}
for (const [key, column] of Object.entries(insertColumns)) {
  if (column.hasDefault) INSERT_DEFAULTS[key] = column.default
  else if (!column.notNull) INSERT_DEFAULTS[key] = null
}
/** Bounds the cache of UPDATE statements, whatever mix of columns callers write. */
const MAX_UPDATE_SHAPES = 64
const placeholders = <K extends string>(keys: readonly K[]) =>
  Object.fromEntries(keys.map((key) => [key, sql.placeholder(key)])) as unknown as Record<K, ReturnType<typeof sql.placeholder>>

function toSummary(row: SummaryRow, source: Article['source'], tagRefs: TagRef[], now: number): ArticleSummary {
  const hasImage = row.imageUrl !== null || row.imageCaption !== null || row.imageCredit !== null
  return {
    id: row.id,
    slug: row.slug,
    externalId: row.externalId,
    headline: row.headline,
    summary: row.summary,
    bodyFormat: row.bodyFormat,
    byline: row.byline,
    dateline: row.dateline,
    language: row.language,
    status: stateOf(row, now),
    publishedAt: isoOrNull(row.publishedAt),
    embargoedUntil: isoOrNull(row.embargoedUntil),
    withdrawnAt: isoOrNull(row.withdrawnAt),
    withdrawalReason: row.withdrawalReason,
    canonicalUrl: row.canonicalUrl,
    image: hasImage ? { url: row.imageUrl, caption: row.imageCaption, credit: row.imageCredit } : null,
    source,
    tags: tagRefs,
    wordCount: row.wordCount,
    readingTimeMinutes: readingTimeMinutes(row.wordCount),
    deletedAt: isoOrNull(row.deletedAt),
    createdAt: iso(row.createdAt),
    updatedAt: iso(row.updatedAt),
    version: row.version,
  }
}

export function createArticlesRepository(db: DbOrTx) {
  const queries = createArticleQueries(db)
  const revisions = createRevisionsRepository(db)
  // The reads every article and list response makes, prepared on first use (prepared.ts).
  const prepared = {
    rowByIdOrSlug: once(() =>
      db
        .select()
        .from(articles)
        .where(or(eq(articles.id, sql.placeholder('key')), eq(articles.slug, sql.placeholder('key'))))
        .prepare(),
    ),
    tagsOf: once(() =>
      db
        .select({ articleId: articleTags.articleId, id: tags.id, slug: tags.slug, name: tags.name, kind: tags.kind })
        .from(articleTags)
        .innerJoin(tags, eq(tags.id, articleTags.tagId))
        .where(inJsonArray(articleTags.articleId, sql.placeholder('ids')))
        .orderBy(asc(articleTags.articleId), asc(articleTags.position))
        .prepare(),
    ),
    sourcesOf: once(() =>
      db.select({ id: sources.id, slug: sources.slug, name: sources.name }).from(sources).where(inJsonArray(sources.id, sql.placeholder('ids'))).prepare(),
    ),
    // Once per imported line (the upsert's match); externalIdTaken is create's and update's uniqueness check.
    rowByExternalId: once(() => db.select().from(articles).where(eq(articles.externalId, sql.placeholder('externalId'))).prepare()),
    externalIdTaken: once(() => db.select({ id: articles.id }).from(articles).where(eq(articles.externalId, sql.placeholder('externalId'))).prepare()),
    // The write path, once or more per write (and per imported line): built once, not per call.
    insert: once(() => db.insert(articles).values(placeholders(INSERT_KEYS)).returning().prepare()),
    slugTaken: once(() => db.select({ id: articles.id }).from(articles).where(eq(articles.slug, sql.placeholder('slug'))).prepare()),
    deleteTags: once(() => db.delete(articleTags).where(eq(articleTags.articleId, sql.placeholder('articleId'))).prepare()),
    insertTag: once(() => db.insert(articleTags).values(placeholders(['articleId', 'tagId', 'position'] as const)).prepare()),
    tagIds: once(() =>
      db
        .select({ id: articleTags.tagId })
        .from(articleTags)
        .where(eq(articleTags.articleId, sql.placeholder('articleId')))
        .orderBy(asc(articleTags.position))
        .prepare(),
    ),
    tagsByRef: once(() =>
      db
        .select({ id: tags.id, slug: tags.slug, name: tags.name, kind: tags.kind })
        .from(tags)
        .where(or(inJsonArray(tags.id, sql.placeholder('refs')), inJsonArray(tags.slug, sql.placeholder('refs'))))
        .prepare(),
    ),
    sourceByRef: once(() =>
      db
        .select({ id: sources.id, slug: sources.slug, name: sources.name })
        .from(sources)
        .where(or(eq(sources.id, sql.placeholder('ref')), eq(sources.slug, sql.placeholder('ref'))))
        .prepare(),
    ),
  }
  /** UPDATE statements by the set of columns they write (a handful in practice), each prepared once. */
  const updates = new Map<string, ReturnType<typeof prepareUpdate>>()
  const prepareUpdate = (keys: string[]) =>
    db.update(articles).set(placeholders(keys)).where(eq(articles.id, sql.placeholder('__id'))).returning().prepare()

  /** Tags and sources for a set of rows: one query each, however many rows. */
  function embed<R extends SummaryRow>(rows: R[], now: number): ArticleSummary[] {
    const ids = rows.map((r) => r.id)
    const sourceIds = [...new Set(rows.flatMap((r) => (r.sourceId === null ? [] : [r.sourceId])))]
    const tagRows = ids.length === 0 ? [] : prepared.tagsOf().all({ ids: JSON.stringify(ids) })
    const sourceRows = sourceIds.length === 0 ? [] : prepared.sourcesOf().all({ ids: JSON.stringify(sourceIds) })
    const tagsByArticle = new Map<string, TagRef[]>()
    for (const { articleId, ...tag } of tagRows) {
      const list = tagsByArticle.get(articleId) ?? []
      list.push(tag)
      tagsByArticle.set(articleId, list)
    }
    const sourceById = new Map(sourceRows.map((s) => [s.id, s]))
    return rows.map((row) =>
      toSummary(row, row.sourceId === null ? null : (sourceById.get(row.sourceId) ?? null), tagsByArticle.get(row.id) ?? [], now),
    )
  }

  return {
    /** The stored row by id or slug, if `visible` (from visibleTo) allows it. */
    findRow(idOrSlug: string, visible?: SQL): ArticleRow | undefined {
      if (visible === undefined) return prepared.rowByIdOrSlug().get({ key: idOrSlug })
      return db
        .select()
        .from(articles)
        .where(and(or(eq(articles.id, idOrSlug), eq(articles.slug, idOrSlug)), visible))
        .get()
    },

    /** The full representation, as of `now` (which decides whether it is scheduled). */
    toArticle(row: ArticleRow, now: number): Article {
      return this.toArticles([row], now)[0]!
    },

    /** Full articles for stored rows, with one query each for tags, sources and corrections. */
    toArticles(rows: ArticleRow[], now: number): Article[] {
      const corrections = revisions.correctionsOf(rows.map((r) => r.id))
      return embed(rows, now).map((summary, i) => {
        const row = rows[i]!
        // Completed in place, not copied with `{ ...summary, body, ... }`: on Node 20 that spread of
        // a 24-key object takes a slow path in V8 (~8 us each) that put every article straight into
        // the old generation, garbage only a full GC frees (26 MB per 10,000 articles exported).
        return Object.assign(summary, { body: row.body, bodyHtml: row.bodyHtml, bodyText: row.bodyText, corrections: corrections.get(row.id) ?? [] })
      })
    },

    /** The full representation of a row just inserted, whose source and tags the caller holds (no corrections yet). */
    toNewArticle(row: ArticleRow, source: SourceRef | null, tagRefs: TagRef[], now: number): Article {
      const summary = toSummary(row, source, tagRefs, now)
      return Object.assign(summary, { body: row.body, bodyHtml: row.bodyHtml, bodyText: row.bodyText, corrections: [] })
    },

    rowsByIds(ids: string[]): ArticleRow[] {
      return ids.length === 0 ? [] : db.select().from(articles).where(inArray(articles.id, ids)).all()
    },

    /** One page of a list, in the order and with the filters given; rows carry their cursor key. */
    list(filter: ListFilter, options: ListOptions): ArticleListRow[] {
      const rows = queries.page(filter, options) as (ArticleRow & { cursorKey0: number; highlight?: string })[]
      return embed(rows, filter.now).map((summary, i) => {
        const row = rows[i]!
        const item: ArticleListRow = { ...summary, cursorKey: [row.cursorKey0, row.id] }
        if (options.withBody) Object.assign(item, { body: row.body, bodyHtml: row.bodyHtml, bodyText: row.bodyText })
        if (row.highlight !== undefined) item.highlight = renderHighlight(row.highlight)
        return item
      })
    },

    /** Summaries for known ids, in the order given (related articles). */
    summaries(ids: string[], now: number): ArticleSummary[] {
      if (ids.length === 0) return []
      const rows = db.select(summaryColumns).from(articles).where(inArray(articles.id, ids)).all()
      const byId = new Map(embed(rows, now).map((s) => [s.id, s]))
      return ids.flatMap((id) => byId.get(id) ?? [])
    },

    /** The trash that can still be restored (deleted since `cutoff`), most recently deleted first. */
    trash(limit: number, seek: Seek | undefined, cutoff: number, now: number): ArticleListRow[] {
      const page = keyset([articles.deletedAt, articles.id], seek, 'desc')
      const rows = db
        .select(summaryColumns)
        .from(articles)
        .where(and(gte(articles.deletedAt, cutoff), page.where))
        .orderBy(...page.orderBy)
        .limit(limit)
        .all()
      return embed(rows, now).map((summary, i) => ({ ...summary, cursorKey: [rows[i]!.deletedAt!, rows[i]!.id] }))
    },

    /** Removes for good what was deleted before `cutoff` (revisions and tag links go with it). */
    purge(cutoff: number, dryRun: boolean): { id: string; slug: string }[] {
      const doomed = and(isNotNull(articles.deletedAt), lt(articles.deletedAt, cutoff))
      const rows = db.select({ id: articles.id, slug: articles.slug }).from(articles).where(doomed).all()
      if (!dryRun) db.delete(articles).where(doomed).run()
      return rows
    },

    count: queries.count,
    facets: queries.facets,
    related: createRelatedQueries(db),

    slugTaken(slug: string): boolean {
      return prepared.slugTaken().get({ slug }) !== undefined
    },

    externalIdTaken(externalId: string): boolean {
      return prepared.externalIdTaken().get({ externalId }) !== undefined
    },

    /** The stored row with this externalId (in the trash or not). */
    findByExternalId(externalId: string): ArticleRow | undefined {
      return prepared.rowByExternalId().get({ externalId })
    },

    /** Rows in stored order (doc_id) after `afterDocId`, at most `limit`, that `where` allows: the export's pages. */
    rowsAfter(where: SQL | undefined, afterDocId: number, limit: number): ArticleRow[] {
      return db
        .select()
        .from(articles)
        .where(and(where, sql`${articles.docId} > ${afterDocId}`))
        .orderBy(asc(articles.docId))
        .limit(limit)
        .all()
    },

    insert(row: typeof articles.$inferInsert): ArticleRow {
      return prepared.insert().get({ ...INSERT_DEFAULTS, ...row })!
    },

    /** Writes only the columns `changes` gives (an UPDATE OF other columns fires no search trigger). */
    update(id: string, changes: Partial<typeof articles.$inferInsert>): ArticleRow {
      const keys = Object.keys(changes).filter((key) => changes[key as keyof typeof changes] !== undefined)
      const shape = keys.sort().join()
      let statement = updates.get(shape)
      if (!statement) {
        if (updates.size >= MAX_UPDATE_SHAPES) updates.clear()
        statement = prepareUpdate(keys)
        updates.set(shape, statement)
      }
      return statement.get({ ...changes, __id: id })!
    },

    setTags(articleId: string, tagIds: readonly string[]) {
      prepared.deleteTags().run({ articleId })
      this.addTags(articleId, tagIds)
    },

    /** The tags of an article that has none yet (just inserted), in order. */
    addTags(articleId: string, tagIds: readonly string[]) {
      tagIds.forEach((tagId, position) => prepared.insertTag().run({ articleId, tagId, position }))
    },

    tagIds(articleId: string): string[] {
      return prepared.tagIds().all({ articleId }).map((r) => r.id)
    },

    /** The tags whose id or slug is among `refs`, and the source with this id or slug, as articles embed them. */
    tagsByRef(refs: readonly string[]): TagRef[] {
      return refs.length === 0 ? [] : prepared.tagsByRef().all({ refs: JSON.stringify(refs) })
    },
    sourceByRef(ref: string): SourceRef | undefined {
      return prepared.sourceByRef().get({ ref })
    },

    delete(id: string) {
      db.delete(articles).where(eq(articles.id, id)).run()
    },

    /** A new version for every article that embeds the source (its name or slug changed). */
    touchWhereSource(sourceId: string, now: number): ArticleRow[] {
      return db
        .update(articles)
        .set({ version: sql`${articles.version} + 1`, updatedAt: now })
        .where(eq(articles.sourceId, sourceId))
        .returning()
        .all()
    },

    /** A new version for every article that carries the tag (it changed or is going away). */
    touchWhereTag(tagId: string, now: number): ArticleRow[] {
      return db
        .update(articles)
        .set({ version: sql`${articles.version} + 1`, updatedAt: now })
        .where(inArray(articles.id, db.select({ id: articleTags.articleId }).from(articleTags).where(eq(articleTags.tagId, tagId))))
        .returning()
        .all()
    },
  }
}

export type ArticlesRepository = ReturnType<typeof createArticlesRepository>
