import type { BodyFormat } from '../../db/schema.js'
import type { Deps } from '../../deps.js'
import { canSeeUnpublished, type Viewer } from '../../http/auth.js'
import { checkIfMatch } from '../../http/conditional.js'
import { conflict, gone, HttpProblem, notFound, slugTaken, unprocessable } from '../../http/errors.js'
import type { Seek } from '../../http/pagination.js'
import { newId } from '../../ids.js'
import { slugFrom, uniqueSlug } from '../../slugs.js'
import type { Tx } from '../../db/client.js'
import { recordChange } from '../changes/record-change.js'
import { createArticlesRepository, type ArticleRow } from './articles.repository.js'
import type { Article, ArticleCreate, ArticlePatch } from './articles.schemas.js'
import { renderBody } from './body.js'
import { assertTransition, stateOf, transitionTo, type Transition } from './lifecycle.js'
import { mergePatch } from './merge-patch.js'
import { resolveReferences } from './references.js'
import { createRevisionsRepository } from './revisions.repository.js'
import { isVisible } from './visibility.js'
import { countWords } from './word-count.js'
import { DAY_MS } from '../../time.js'
import { iso } from '../../http/schemas.js'

type Image = { url?: string | null; caption?: string | null; credit?: string | null }
type Changes = Partial<ArticleRow> & { tagIds?: string[] }
/** Who made a change, recorded with its revision: the API key's name. */
export type Actor = string

/** An article as a bulk import line gives it: the create shape, with any state and a withdrawal reason. */
export type ArticleUpsert = Omit<ArticleCreate, 'status'> & { status?: Article['status']; withdrawalReason?: string | null }
export type UpsertStatus = 'created' | 'updated' | 'unchanged'
export type UpsertOutcome = { status: UpsertStatus; id: string } | HttpProblem
/** Thrown inside a bulk transaction to roll it back (atomic failure, dry run). */
const ROLLBACK = Symbol('rollback')

const externalIdTaken = (externalId: string) =>
  conflict(`The externalId "${externalId}" is already taken by another article.`, {
    errors: [{ in: 'body', pointer: '/externalId', message: 'is already taken' }],
  })

const parseTime = (value: string | null | undefined) => (value == null ? null : Date.parse(value))

/** The image columns for an image object; an image with nothing in it is no image. */
function imageColumns(image: Image | null | undefined) {
  return { imageUrl: image?.url ?? null, imageCaption: image?.caption ?? null, imageCredit: image?.credit ?? null }
}

/** The body as sent and its derived forms; the word count is of the plain text. */
function bodyColumns(body: string, bodyFormat: BodyFormat) {
  const { html, text } = renderBody(body, bodyFormat)
  return { body, bodyFormat, bodyHtml: html, bodyText: text, wordCount: countWords(text) }
}

/**
 * Every write to an article ends here, whoever makes it (this service, a tag or source rename,
 * an import): its revision (history is only ever appended to) and its change-feed event, in
 * the caller's transaction.
 */
export function articleSaved(tx: Tx, row: ArticleRow, actor: Actor, now: number): Article {
  const article = createArticlesRepository(tx).toArticle(row, now)
  createRevisionsRepository(tx).insert(row.id, actor, article, now)
  recordChange(tx, row, now)
  return article
}

const publishedNeedsTime = () =>
  unprocessable('A published or archived article needs a publication time.', [
    { in: 'body', pointer: '/publishedAt', message: 'cannot be null while the article is published or archived' },
  ])

/**
 * The columns a lifecycle move changes. Publishing keeps an earlier publication time (an
 * imported archive article, a republished one) unless a time is given; a scheduled article
 * published without a time goes live now.
 */
function transitionColumns(row: ArticleRow, transition: Transition, now: number, options: { at?: number; reason?: string }): Changes {
  assertTransition(stateOf(row, now), transition)
  switch (transition) {
    case 'publish': {
      const keep = row.publishedAt !== null && row.publishedAt <= now ? row.publishedAt : now
      return { status: 'published', publishedAt: options.at ?? keep }
    }
    case 'unpublish':
      return { status: 'draft' }
    case 'archive':
      return { status: 'archived' }
    case 'withdraw':
      return { status: 'withdrawn', withdrawnAt: now, withdrawalReason: options.reason ?? null }
  }
}

export function createArticlesService({ db, clock, config }: Deps) {
  const { trashRetentionDays } = config
  // Long-lived, so its prepared statements are reused; one connection, so inside a transaction it sees that transaction's writes.
  const repo = createArticlesRepository(db)
  const notFoundProblem = (idOrSlug: string) => notFound(`There is no article "${idOrSlug}".`)

  /** Runs `fn` on the current row in an immediate transaction, after the If-Match check. */
  function change<T>(idOrSlug: string, ifMatch: string | undefined, fn: (current: ArticleRow, tx: Tx, now: number) => T): T {
    return db.transaction(
      (tx) => {
        const current = createArticlesRepository(tx).findRow(idOrSlug)
        if (!current || current.deletedAt !== null) throw notFoundProblem(idOrSlug)
        checkIfMatch(ifMatch, current.version)
        return fn(current, tx, clock())
      },
      { behavior: 'immediate' },
    )
  }


  /** Writes a new version of an existing article. */
  function commit(tx: Tx, current: ArticleRow, changes: Changes, actor: Actor, now: number): Article {
    const articles = createArticlesRepository(tx)
    const { tagIds, ...columns } = changes
    if (tagIds) articles.setTags(current.id, tagIds)
    const row = articles.update(current.id, { ...columns, updatedAt: now, version: current.version + 1 })
    return articleSaved(tx, row, actor, now)
  }

  /** The columns (and tag list) a merge patch really changes; empty when it changes nothing. */
  function diff(current: ArticleRow, patch: ArticlePatch, tx: Tx, now: number): Changes {
    const next: Changes = {}
    const set = <K extends keyof ArticleRow>(key: K, value: ArticleRow[K] | undefined) => {
      if (value !== undefined && value !== current[key]) next[key] = value
    }
    set('headline', patch.headline)
    set('slug', patch.slug)
    set('externalId', patch.externalId)
    set('summary', patch.summary)
    set('byline', patch.byline)
    set('dateline', patch.dateline)
    set('language', patch.language)
    set('canonicalUrl', patch.canonicalUrl)
    if (patch.embargoedUntil !== undefined) set('embargoedUntil', parseTime(patch.embargoedUntil))
    const body = patch.body ?? current.body
    const bodyFormat = patch.bodyFormat ?? current.bodyFormat
    if (body !== current.body || bodyFormat !== current.bodyFormat) Object.assign(next, bodyColumns(body, bodyFormat))
    if (patch.image !== undefined) {
      const before = { url: current.imageUrl, caption: current.imageCaption, credit: current.imageCredit }
      const image = imageColumns(mergePatch(before, patch.image) as Image)
      for (const key of Object.keys(image) as (keyof typeof image)[]) set(key, image[key])
    }
    const refs = resolveReferences(tx, patch)
    set('sourceId', refs.sourceId)
    if (refs.tagIds && refs.tagIds.join() !== createArticlesRepository(tx).tagIds(current.id).join()) next.tagIds = refs.tagIds

    const at = patch.publishedAt === undefined ? undefined : parseTime(patch.publishedAt)
    // Against the state the caller sees: `published` on a scheduled article publishes it now.
    if (patch.status !== undefined && patch.status !== stateOf(current, now)) {
      if (patch.status === 'withdrawn') {
        throw unprocessable('Withdrawing needs a public reason: use POST /v1/articles/{id}/withdraw.', [
          { in: 'body', pointer: '/status', message: 'withdraw with POST /v1/articles/{id}/withdraw and a reason' },
        ])
      }
      Object.assign(next, transitionColumns(current, transitionTo(patch.status), now, at == null ? {} : { at }))
    } else if (at !== undefined) {
      if (at === null && current.status !== 'draft') throw publishedNeedsTime()
      // A live article moved into the future would vanish from readers: that is unpublishing,
      // which takes its own move. (A scheduled one moved into the past goes live: allowed.)
      if (at !== null && stateOf(current, now) === 'published' && at > now) assertTransition('published', 'schedule')
      set('publishedAt', at)
    }
    return next
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
      return db.transaction(
        (tx) => {
          const articles = createArticlesRepository(tx)
          const { sourceId = null, tagIds = [] } = resolveReferences(tx, input)
          if (input.slug !== undefined && articles.slugTaken(input.slug)) throw slugTaken(input.slug)
          if (input.externalId != null && repo.findByExternalId(input.externalId)) throw externalIdTaken(input.externalId)
          const id = newId('art')
          const now = clock()
          const status = input.status ?? 'draft'
          const row = articles.insert({
            id,
            slug: input.slug ?? uniqueSlug(slugFrom(input.headline, id.replace('_', '-')), articles.slugTaken),
            externalId: input.externalId ?? null,
            headline: input.headline,
            summary: input.summary ?? null,
            ...bodyColumns(input.body, input.bodyFormat ?? 'text'),
            byline: input.byline ?? null,
            dateline: input.dateline ?? null,
            language: input.language ?? 'en',
            status,
            // An imported archive article keeps its date; a fresh one is published now.
            publishedAt: parseTime(input.publishedAt) ?? (status === 'published' ? now : null),
            embargoedUntil: parseTime(input.embargoedUntil),
            canonicalUrl: input.canonicalUrl ?? null,
            ...imageColumns(input.image),
            sourceId,
            createdAt: now,
            updatedAt: now,
          })
          articles.setTags(id, tagIds)
          return articleSaved(tx, row, actor, now)
        },
        { behavior: 'immediate' },
      )
    },

    update(idOrSlug: string, patch: ArticlePatch, ifMatch: string | undefined, actor: Actor): Article {
      return change(idOrSlug, ifMatch, (current, tx, now) => {
        const changes = diff(current, patch, tx, now)
        const articles = createArticlesRepository(tx)
        if (changes.slug !== undefined && articles.slugTaken(changes.slug)) throw slugTaken(changes.slug)
        if (changes.externalId != null && repo.findByExternalId(changes.externalId)) throw externalIdTaken(changes.externalId)
        if (Object.keys(changes).length === 0) return articles.toArticle(current, now)
        return commit(tx, current, changes, actor, now)
      })
    },

    /** publish (optionally at a time), unpublish, archive, withdraw (with a reason). */
    transition(
      idOrSlug: string,
      transition: Transition,
      options: { at?: string | undefined; reason?: string | undefined },
      ifMatch: string | undefined,
      actor: Actor,
    ): Article {
      return change(idOrSlug, ifMatch, (current, tx, now) => {
        const at = parseTime(options.at) ?? undefined
        const changes = transitionColumns(current, transition, now, {
          ...(at === undefined ? {} : { at }),
          ...(options.reason === undefined ? {} : { reason: options.reason }),
        })
        return commit(tx, current, changes, actor, now)
      })
    },

    /** Appends a dated public correction; the new version tells caches the story changed. */
    correct(idOrSlug: string, text: string, ifMatch: string | undefined, actor: Actor): Article {
      return change(idOrSlug, ifMatch, (current, tx, now) => {
        createRevisionsRepository(tx).addCorrection(current.id, text, now)
        return commit(tx, current, {}, actor, now)
      })
    },

    /** DELETE: into the trash, restorable for the retention period. */
    trash(idOrSlug: string, ifMatch: string | undefined, actor: Actor) {
      change(idOrSlug, ifMatch, (current, tx, now) => commit(tx, current, { deletedAt: now }, actor, now))
    },

    listTrash(limit: number, seek: Seek | undefined) {
      const now = clock()
      return repo.trash(limit, seek, now - trashRetentionDays * DAY_MS, now)
    },

    /** Removes for good what has been in the trash longer than the retention period. */
    purge(dryRun: boolean) {
      return db.transaction((tx) => createArticlesRepository(tx).purge(clock() - trashRetentionDays * DAY_MS, dryRun), {
        behavior: 'immediate',
      })
    },

    restore(idOrSlug: string, ifMatch: string | undefined, actor: Actor): Article {
      return db.transaction(
        (tx) => {
          const articles = createArticlesRepository(tx)
          const current = articles.findRow(idOrSlug)
          if (!current) throw notFoundProblem(idOrSlug)
          if (current.deletedAt === null) throw notFound(`The article "${idOrSlug}" is not in the trash.`)
          checkIfMatch(ifMatch, current.version)
          const now = clock()
          if (current.deletedAt < now - trashRetentionDays * DAY_MS) {
            throw gone(`The article "${idOrSlug}" was deleted more than ${trashRetentionDays} days ago and can no longer be restored.`)
          }
          return commit(tx, current, { deletedAt: null }, actor, now)
        },
        { behavior: 'immediate' },
      )
    },

    /**
     * Creates or updates the article an import line stands for: the one with its externalId; else
     * the one with its slug (unless that one has another externalId); else a new one. It goes
     * through create, update and transition, so every change gets its revision and change event.
     * A field the line leaves out keeps its value; a line that changes nothing makes no version.
     */
    upsert(input: ArticleUpsert, actor: Actor): { status: UpsertStatus; article: Article } {
      return db.transaction(
        (tx) => {
          const { status, withdrawalReason, ...fields } = input
          const target = status === 'scheduled' ? 'published' : status
          const reason = () => {
            if (withdrawalReason) return withdrawalReason
            throw unprocessable('A withdrawn article needs its public withdrawalReason.', [
              { in: 'body', pointer: '/withdrawalReason', message: 'is required when status is withdrawn' },
            ])
          }
          const articles = createArticlesRepository(tx)
          const byExternalId = fields.externalId == null ? undefined : repo.findByExternalId(fields.externalId)
          const bySlug = byExternalId || fields.slug === undefined ? undefined : articles.findRow(fields.slug)
          const current = byExternalId ?? (bySlug && (fields.externalId == null || bySlug.externalId === null) ? bySlug : undefined)
          if (!current) {
            if (target === 'withdrawn') reason()
            let article = this.create({ ...fields, status: target === undefined || target === 'draft' ? 'draft' : 'published' }, actor)
            if (target === 'archived') article = this.transition(article.id, 'archive', {}, undefined, actor)
            if (target === 'withdrawn') article = this.transition(article.id, 'withdraw', { reason: reason() }, undefined, actor)
            return { status: 'created', article }
          }
          if (current.deletedAt !== null) {
            throw conflict(`The article "${current.slug}" is in the trash: restore it (POST /v1/articles/${current.id}/restore) before importing over it.`)
          }
          // The stored state only: a line's `published` leaves a scheduled article to its publishedAt.
          const move = target === undefined || target === current.status || target === 'withdrawn' ? {} : { status: target }
          let article = this.update(current.id, { ...fields, ...move }, undefined, actor)
          if (target === 'withdrawn' && current.status !== 'withdrawn') {
            article = this.transition(current.id, 'withdraw', { reason: reason() }, undefined, actor)
          }
          return { status: article.version === current.version ? 'unchanged' : 'updated', article }
        },
        { behavior: 'immediate' },
      )
    },

    /**
     * A batch of upserts in ONE immediate transaction, each item in its own savepoint with
     * `toInput` (which may create what the item needs, or throw a problem). A failed item is
     * rolled back alone; with `atomic` the first failure rolls back the whole batch; `dryRun`
     * does everything and then rolls it all back. Only problems are caught: anything else throws.
     */
    upsertMany<T>(
      items: readonly T[],
      options: { actor: Actor; toInput: (item: T) => ArticleUpsert; atomic?: boolean; dryRun?: boolean },
    ): { outcomes: UpsertOutcome[]; rolledBack: boolean } {
      const outcomes: UpsertOutcome[] = []
      try {
        db.transaction(
          () => {
            for (const item of items) {
              try {
                const { status, article } = db.transaction(() => this.upsert(options.toInput(item), options.actor))
                outcomes.push({ status, id: article.id })
              } catch (error) {
                if (!(error instanceof HttpProblem)) throw error
                outcomes.push(error)
                if (options.atomic) throw ROLLBACK
              }
            }
            if (options.dryRun) throw ROLLBACK
          },
          { behavior: 'immediate' },
        )
      } catch (error) {
        if (error !== ROLLBACK) throw error
        return { outcomes, rolledBack: true }
      }
      return { outcomes, rolledBack: false }
    },
  }
}

export type ArticlesService = ReturnType<typeof createArticlesService>
