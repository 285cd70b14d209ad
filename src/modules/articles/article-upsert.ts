import type { Deps } from '../../deps.js'
import { withSearchIndexDeferred } from '../../db/search.js'
import { conflict, HttpProblem, unprocessable } from '../../http/errors.js'
import type { Actor, ArticleWrites } from './article-writes.js'
import type { ArticlesRepository } from './articles.repository.js'
import type { Article, ArticleCreate } from './articles.schemas.js'

/** An article as a bulk import line gives it: the create shape, with any state and a withdrawal reason. */
export type ArticleUpsert = Omit<ArticleCreate, 'status'> & { status?: Article['status']; withdrawalReason?: string | null }
export type UpsertStatus = 'created' | 'updated' | 'unchanged'
export type UpsertOutcome = { status: UpsertStatus; id: string } | HttpProblem
export type UpsertOptions<T> = { actor: Actor; toInput: (item: T) => ArticleUpsert; atomic?: boolean; dryRun?: boolean }

/** Thrown inside a bulk transaction to roll it back (atomic failure, dry run). */
const ROLLBACK = Symbol('rollback')

/**
 * Import upserts, over the same writes as the API's create, update and transition, so that every
 * change gets its revision and change event.
 */
export function createUpserts({ db, clock }: Pick<Deps, 'db' | 'clock'>, repo: ArticlesRepository, writes: ArticleWrites) {
  // A savepoint per item, from better-sqlite3 directly: Drizzle's db.transaction builds a new
  // transaction object (with a query builder per table) on every call, which costs more than
  // the savepoint itself. Called inside the batch's transaction, it nests as a savepoint.
  const inSavepoint = db.$client.transaction((fn: () => UpsertOutcome) => fn())

  /**
   * Creates or updates the article an import line stands for: the one with its externalId; else
   * the one with its slug (unless that one has another externalId); else a new one. A field the
   * line leaves out keeps its value; a line that changes nothing makes no version.
   */
  function upsert(input: ArticleUpsert, actor: Actor): { status: UpsertStatus; id: string } {
    const { status, withdrawalReason, ...fields } = input
    const target = status === 'scheduled' ? 'published' : status
    const reason = () => {
      if (withdrawalReason) return withdrawalReason
      throw unprocessable('A withdrawn article needs its public withdrawalReason.', [
        { in: 'body', pointer: '/withdrawalReason', message: 'is required when status is withdrawn' },
      ])
    }
    const byExternalId = fields.externalId == null ? undefined : repo.findByExternalId(fields.externalId)
    const bySlug = byExternalId || fields.slug === undefined ? undefined : repo.findRow(fields.slug)
    const current = byExternalId ?? (bySlug && (fields.externalId == null || bySlug.externalId === null) ? bySlug : undefined)
    if (!current) {
      if (target === 'withdrawn') reason()
      let { row } = writes.insert({ ...fields, status: target === undefined || target === 'draft' ? 'draft' : 'published' }, actor)
      if (target === 'archived') row = writes.move(row, 'archive', {}, actor, clock()).row
      if (target === 'withdrawn') row = writes.move(row, 'withdraw', { reason: reason() }, actor, clock()).row
      return { status: 'created', id: row.id }
    }
    if (current.deletedAt !== null) {
      throw conflict(`The article "${current.slug}" is in the trash: restore it (POST /v1/articles/${current.id}/restore) before importing over it.`)
    }
    // The stored state only: a line's `published` leaves a scheduled article to its publishedAt.
    const move = target === undefined || target === current.status || target === 'withdrawn' ? {} : { status: target }
    let row = writes.patch(current, { ...fields, ...move }, actor, clock())?.row ?? current
    if (target === 'withdrawn' && current.status !== 'withdrawn') row = writes.move(row, 'withdraw', { reason: reason() }, actor, clock()).row
    return { status: row.version === current.version ? 'unchanged' : 'updated', id: current.id }
  }

  /**
   * A batch of upserts in ONE immediate transaction, each item in its own savepoint with
   * `toInput` (which may create what the item needs, or throw a problem). A failed item is
   * rolled back alone; with `atomic` the first failure rolls back the whole batch; `dryRun`
   * does everything and then rolls it all back. Only problems are caught: anything else throws.
   * The batch's articles are indexed for search together, just before it commits.
   */
  function upsertMany<T>(items: readonly T[], options: UpsertOptions<T>): { outcomes: UpsertOutcome[]; rolledBack: boolean } {
    const outcomes: UpsertOutcome[] = []
    try {
      db.transaction(
        () =>
          withSearchIndexDeferred(db, () => {
            for (const item of items) {
              try {
                outcomes.push(inSavepoint(() => upsert(options.toInput(item), options.actor)))
              } catch (error) {
                if (!(error instanceof HttpProblem)) throw error
                outcomes.push(error)
                if (options.atomic) throw ROLLBACK
              }
            }
            if (options.dryRun) throw ROLLBACK
          }),
        { behavior: 'immediate' },
      )
    } catch (error) {
      if (error !== ROLLBACK) throw error
      return { outcomes, rolledBack: true }
    }
    return { outcomes, rolledBack: false }
  }

  return { upsertMany }
}
