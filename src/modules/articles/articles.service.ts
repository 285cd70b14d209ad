import type { Deps } from '../../deps.js'
import { canSeeUnpublished, type Viewer } from '../../http/auth.js'
import { checkIfMatch } from '../../http/conditional.js'
import { gone, notFound } from '../../http/errors.js'
import type { Seek } from '../../http/pagination.js'
import { iso } from '../../http/schemas.js'
import { DAY_MS } from '../../time.js'
import { createUpserts } from './article-upsert.js'
import { createArticleWrites, type Actor, type Written } from './article-writes.js'
import { createArticlesRepository, type ArticleRow } from './articles.repository.js'
import type { Article, ArticleCreate, ArticlePatch } from './articles.schemas.js'
import type { Transition } from './lifecycle.js'
import { createRevisionsRepository } from './revisions.repository.js'
import { isVisible } from './visibility.js'

export { articleSaved, type Actor } from './article-writes.js'
export type { ArticleUpsert, UpsertOutcome, UpsertStatus } from './article-upsert.js'

export function createArticlesService({ db, clock, config }: Deps) {
  const { trashRetentionDays } = config
  // Long-lived, so their prepared statements are reused; one connection, so inside a
  // transaction they read and write in that transaction.
  const repo = createArticlesRepository(db)
  const revisions = createRevisionsRepository(db)
  const writes = createArticleWrites({ db, clock })
  const { upsertMany } = createUpserts({ db, clock }, repo, writes)
  const notFoundProblem = (idOrSlug: string) => notFound(`There is no article "${idOrSlug}".`)

  /** Runs `fn` on the current row in an immediate transaction, after the If-Match check. */
  function change(idOrSlug: string, ifMatch: string | undefined, fn: (current: ArticleRow, now: number) => Written): Article {
    return db.transaction(
      () => {
        const current = repo.findRow(idOrSlug)
        if (!current || current.deletedAt !== null) throw notFoundProblem(idOrSlug)
        checkIfMatch(ifMatch, current.version)
        return fn(current, clock()).article
      },
      { behavior: 'immediate' },
    )
  }

  return {
    /**
     * One article as the caller may see it. The trash answers 410 to everyone; a withdrawn
     * article answers anonymous readers 410 with its reason; anything else unseen is a 404.
     */
    get(idOrSlug: string, viewer: Viewer): Article {
      return this.find(idOrSlug, viewer).toArticle()
    },

    /**
     * get() in two steps: the stored row once every check has passed (its version is enough for
     * validators and a 304), and the article, built only when asked for.
     */
    find(idOrSlug: string, viewer: Viewer): { row: ArticleRow; toArticle: () => Article } {
      const now = clock()
      const row = repo.findRow(idOrSlug)
      if (!row) throw notFoundProblem(idOrSlug)
      if (row.deletedAt !== null) {
        throw gone(
          canSeeUnpublished(viewer)
            ? `The article "${idOrSlug}" is in the trash; restore it with POST /v1/articles/${row.id}/restore.`
            : `The article "${idOrSlug}" has been deleted.`,
          { deletedAt: iso(row.deletedAt) },
        )
      }
      if (row.status === 'withdrawn' && !canSeeUnpublished(viewer)) {
        throw gone(`The article "${idOrSlug}" was withdrawn: ${row.withdrawalReason ?? ''}`, {
          withdrawnAt: iso(row.withdrawnAt ?? row.updatedAt),
          reason: row.withdrawalReason,
        })
      }
      if (!isVisible(row, viewer, now)) throw notFoundProblem(idOrSlug)
      return { row, toArticle: () => repo.toArticle(row, now) }
    },

    create(input: ArticleCreate, actor: Actor): Article {
      return db.transaction(() => writes.insert(input, actor).article, { behavior: 'immediate' })
    },

    update(idOrSlug: string, patch: ArticlePatch, ifMatch: string | undefined, actor: Actor): Article {
      return change(idOrSlug, ifMatch, (current, now) => writes.patch(current, patch, actor, now) ?? { row: current, article: repo.toArticle(current, now) })
    },

    /** publish (optionally at a time), unpublish, archive, withdraw (with a reason). */
    transition(
      idOrSlug: string,
      transition: Transition,
      options: { at?: string | undefined; reason?: string | undefined },
      ifMatch: string | undefined,
      actor: Actor,
    ): Article {
      return change(idOrSlug, ifMatch, (current, now) => writes.move(current, transition, options, actor, now))
    },

    /** Appends a dated public correction; the new version tells caches the story changed. */
    correct(idOrSlug: string, text: string, ifMatch: string | undefined, actor: Actor): Article {
      return change(idOrSlug, ifMatch, (current, now) => {
        revisions.addCorrection(current.id, text, now)
        return writes.commit(current, {}, actor, now)
      })
    },

    /** DELETE: into the trash, restorable for the retention period. */
    trash(idOrSlug: string, ifMatch: string | undefined, actor: Actor) {
      change(idOrSlug, ifMatch, (current, now) => writes.commit(current, { deletedAt: now }, actor, now))
    },

    listTrash(limit: number, seek: Seek | undefined) {
      const now = clock()
      return repo.trash(limit, seek, now - trashRetentionDays * DAY_MS, now)
    },

    /** Removes for good what has been in the trash longer than the retention period. */
    purge(dryRun: boolean) {
      return db.transaction(() => repo.purge(clock() - trashRetentionDays * DAY_MS, dryRun), { behavior: 'immediate' })
    },

    restore(idOrSlug: string, ifMatch: string | undefined, actor: Actor): Article {
      return db.transaction(
        () => {
          const current = repo.findRow(idOrSlug)
          if (!current) throw notFoundProblem(idOrSlug)
          if (current.deletedAt === null) throw notFound(`The article "${idOrSlug}" is not in the trash.`)
          checkIfMatch(ifMatch, current.version)
          const now = clock()
          if (current.deletedAt < now - trashRetentionDays * DAY_MS) {
            throw gone(`The article "${idOrSlug}" was deleted more than ${trashRetentionDays} days ago and can no longer be restored.`)
          }
          return writes.commit(current, { deletedAt: null }, actor, now).article
        },
        { behavior: 'immediate' },
      )
    },

    /** Import lines, a batch per transaction: see article-upsert.ts. */
    upsertMany,
  }
}

export type ArticlesService = ReturnType<typeof createArticlesService>
