import { and, asc, eq, sql } from 'drizzle-orm'
import type { DbOrTx } from '../../db/client.js'
import { keyset } from '../../db/keyset.js'
import { articleCorrections, articleRevisions } from '../../db/schema.js'
import type { Seek } from '../../http/pagination.js'
import { iso } from '../../http/schemas.js'
import type { Article } from './articles.schemas.js'
import { renderBody } from './body.js'
import { inJsonArray, once } from './prepared.js'

export type Revision = { version: number; createdAt: string; actor: string; article: Article }

/** A stored snapshot leaves out the derived bodyHtml and bodyText (twice the body's size). */
type Snapshot = Omit<Article, 'bodyHtml' | 'bodyText'>

function toSnapshot(article: Article): Snapshot {
  const { bodyHtml: _h, bodyText: _t, ...snapshot } = article
  return snapshot
}

/** The article as it was: derived fields rendered again from the verbatim body. */
function toRevision(row: typeof articleRevisions.$inferSelect): Revision {
  const snapshot = row.snapshot as Snapshot
  const { html, text } = renderBody(snapshot.body, snapshot.bodyFormat)
  return {
    version: row.version,
    createdAt: iso(row.createdAt),
    actor: row.actor,
    article: { ...snapshot, bodyHtml: html, bodyText: text },
  }
}

/** Revisions (full snapshots per version) and public corrections of articles. */
export function createRevisionsRepository(db: DbOrTx) {
  // Every article response reads its corrections: prepared on first use (prepared.ts).
  const correctionsOf = once(() =>
    db.select().from(articleCorrections).where(inJsonArray(articleCorrections.articleId, sql.placeholder('ids'))).orderBy(asc(articleCorrections.id)).prepare(),
  )
  // Once per write (and per imported line).
  const insert = once(() =>
    db
      .insert(articleRevisions)
      .values({
        articleId: sql.placeholder('articleId'),
        version: sql.placeholder('version'),
        createdAt: sql.placeholder('createdAt'),
        actor: sql.placeholder('actor'),
        snapshot: sql.placeholder('snapshot'),
      })
      .prepare(),
  )
  return {
    insert(articleId: string, actor: string, article: Article, at: number) {
      insert().run({ articleId, version: article.version, createdAt: at, actor, snapshot: toSnapshot(article) })
    },
    get(articleId: string, version: number): Revision | undefined {
      const row = db
        .select()
        .from(articleRevisions)
        .where(and(eq(articleRevisions.articleId, articleId), eq(articleRevisions.version, version)))
        .get()
      return row && toRevision(row)
    },
    /** Newest first. */
    list(articleId: string, limit: number, seek: Seek | undefined): Revision[] {
      const page = keyset([articleRevisions.version], seek, 'desc')
      return db
        .select()
        .from(articleRevisions)
        .where(and(eq(articleRevisions.articleId, articleId), page.where))
        .orderBy(...page.orderBy)
        .limit(limit)
        .all()
        .map(toRevision)
    },
    addCorrection(articleId: string, text: string, at: number) {
      db.insert(articleCorrections).values({ articleId, text, at }).run()
    },
    /** Corrections of several articles at once, by article id. */
    correctionsOf(articleIds: string[]): Map<string, { at: string; text: string }[]> {
      const byArticle = new Map<string, { at: string; text: string }[]>()
      if (articleIds.length === 0) return byArticle
      const rows = correctionsOf().all({ ids: JSON.stringify(articleIds) })
      for (const row of rows) {
        const list = byArticle.get(row.articleId) ?? []
        list.push({ at: iso(row.at), text: row.text })
        byArticle.set(row.articleId, list)
      }
      return byArticle
    },
    corrections(articleId: string): { at: string; text: string }[] {
      return db
        .select({ at: articleCorrections.at, text: articleCorrections.text })
        .from(articleCorrections)
        .where(eq(articleCorrections.articleId, articleId))
        .orderBy(asc(articleCorrections.id))
        .all()
        .map((c) => ({ at: iso(c.at), text: c.text }))
    },
  }
}
