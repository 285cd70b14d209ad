import type { BodyFormat } from '../../db/schema.js'
import type { Deps } from '../../deps.js'
import { canSeeUnpublished, type Viewer } from '../../http/auth.js'
import { checkIfMatch } from '../../http/conditional.js'
import { gone, notFound, slugTaken, unprocessable } from '../../http/errors.js'
import type { Seek } from '../../http/pagination.js'
import { newId } from '../../ids.js'
import { slugFrom, uniqueSlug } from '../../slugs.js'
import { createArticlesRepository, type ArticleRow, type ArticlesRepository } from './articles.repository.js'
import type { Article, ArticleCreate, ArticlePatch } from './articles.schemas.js'
import { renderBody } from './body.js'
import { assertTransition, stateOf, transitionTo, type Transition } from './lifecycle.js'
import { mergePatch } from './merge-patch.js'
import { resolveReferences } from './references.js'
import { createRevisionsRepository } from './revisions.repository.js'
import { isVisible } from './visibility.js'
import { countWords } from './word-count.js'

type Image = { url?: string | null; caption?: string | null; credit?: string | null }
type Changes = Partial<ArticleRow> & { tagIds?: string[] }
/** Who made a change, recorded with its revision: the API key's name. */
export type Actor = string

const parseTime = (value: string | null | undefined) => (value == null ? null : Date.parse(value))
const DAY = 24 * 60 * 60 * 1000

/** The image columns for an image object; an image with nothing in it is no image. */
function imageColumns(image: Image | null | undefined) {
  return { imageUrl: image?.url ?? null, imageCaption: image?.caption ?? null, imageCredit: image?.credit ?? null }
}

/** The body as sent and its derived forms; the word count is of the plain text. */
function bodyColumns(body: string, bodyFormat: BodyFormat) {
  const { html, text } = renderBody(body, bodyFormat)
  return { body, bodyFormat, bodyHtml: html, bodyText: text, wordCount: countWords(text) }
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
  const repo = createArticlesRepository(db)
  const notFoundProblem = (idOrSlug: string) => notFound(`There is no article "${idOrSlug}".`)

  /** Runs `fn` on the current row in an immediate transaction, after the If-Match check. */
  function change<T>(idOrSlug: string, ifMatch: string | undefined, fn: (current: ArticleRow, tx: ArticlesRepository, now: number) => T): T {
    return db.transaction(
      (tx) => {
        const articles = createArticlesRepository(tx)
        const current = articles.findRow(idOrSlug)
        if (!current || current.deletedAt !== null) throw notFoundProblem(idOrSlug)
        checkIfMatch(ifMatch, current.version)
        return fn(current, articles, clock())
      },
      { behavior: 'immediate' },
    )
  }

  /** Writes a new version and its revision (history is only ever appended to). */
  function commit(articles: ArticlesRepository, current: ArticleRow, changes: Changes, actor: Actor, now: number): Article {
    const { tagIds, ...columns } = changes
    if (tagIds) articles.setTags(current.id, tagIds)
    const row = articles.update(current.id, { ...columns, updatedAt: now, version: current.version + 1 })
    const article = articles.toArticle(row, now)
    createRevisionsRepository(db).insert(row.id, actor, article, now)
    return article
  }

  /** The columns (and tag list) a merge patch really changes; empty when it changes nothing. */
  function diff(current: ArticleRow, patch: ArticlePatch, articles: ArticlesRepository, now: number): Changes {
    const next: Changes = {}
    const set = <K extends keyof ArticleRow>(key: K, value: ArticleRow[K] | undefined) => {
      if (value !== undefined && value !== current[key]) next[key] = value
    }
    set('headline', patch.headline)
    set('slug', patch.slug)
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
    const refs = resolveReferences(db, patch)
    set('sourceId', refs.sourceId)
    if (refs.tagIds && refs.tagIds.join() !== articles.tagIds(current.id).join()) next.tagIds = refs.tagIds

    const at = patch.publishedAt === undefined ? undefined : parseTime(patch.publishedAt)
    if (patch.status !== undefined && patch.status !== current.status) {
      if (patch.status === 'withdrawn') {
        throw unprocessable('Withdrawing needs a public reason: use POST /v1/articles/{id}/withdraw.', [
          { in: 'body', pointer: '/status', message: 'withdraw with POST /v1/articles/{id}/withdraw and a reason' },
        ])
      }
      Object.assign(next, transitionColumns(current, transitionTo(patch.status), now, at == null ? {} : { at }))
    } else if (at !== undefined) {
      if (at === null && current.status !== 'draft') throw publishedNeedsTime()
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
      const now = clock()
      const row = repo.findRow(idOrSlug)
      if (!row) throw notFoundProblem(idOrSlug)
      if (row.deletedAt !== null) {
        throw gone(
          canSeeUnpublished(viewer)
            ? `The article "${idOrSlug}" is in the trash; restore it with POST /v1/articles/${row.id}/restore.`
            : `The article "${idOrSlug}" has been deleted.`,
          { deletedAt: new Date(row.deletedAt).toISOString() },
        )
      }
      if (row.status === 'withdrawn' && !canSeeUnpublished(viewer)) {
        throw gone(`The article "${idOrSlug}" was withdrawn: ${row.withdrawalReason ?? ''}`, {
          withdrawnAt: new Date(row.withdrawnAt ?? row.updatedAt).toISOString(),
          reason: row.withdrawalReason,
        })
      }
      if (!isVisible(row, viewer, now)) throw notFoundProblem(idOrSlug)
      return repo.toArticle(row, now)
    },

    create(input: ArticleCreate, actor: Actor): Article {
      return db.transaction(
        (tx) => {
          const articles = createArticlesRepository(tx)
          const { sourceId = null, tagIds = [] } = resolveReferences(tx, input)
          if (input.slug !== undefined && articles.slugTaken(input.slug)) throw slugTaken(input.slug)
          const id = newId('art')
          const now = clock()
          const status = input.status ?? 'draft'
          const row = articles.insert({
            id,
            slug: input.slug ?? uniqueSlug(slugFrom(input.headline, id.replace('_', '-')), articles.slugTaken),
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
          const article = articles.toArticle(row, now)
          createRevisionsRepository(tx).insert(id, actor, article, now)
          return article
        },
        { behavior: 'immediate' },
      )
    },

    update(idOrSlug: string, patch: ArticlePatch, ifMatch: string | undefined, actor: Actor): Article {
      return change(idOrSlug, ifMatch, (current, articles, now) => {
        const changes = diff(current, patch, articles, now)
        if (changes.slug !== undefined && articles.slugTaken(changes.slug)) throw slugTaken(changes.slug)
        if (Object.keys(changes).length === 0) return articles.toArticle(current, now)
        return commit(articles, current, changes, actor, now)
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
      return change(idOrSlug, ifMatch, (current, articles, now) => {
        const at = parseTime(options.at) ?? undefined
        const changes = transitionColumns(current, transition, now, {
          ...(at === undefined ? {} : { at }),
          ...(options.reason === undefined ? {} : { reason: options.reason }),
        })
        return commit(articles, current, changes, actor, now)
      })
    },

    /** Appends a dated public correction; the new version tells caches the story changed. */
    correct(idOrSlug: string, text: string, ifMatch: string | undefined, actor: Actor): Article {
      return change(idOrSlug, ifMatch, (current, articles, now) => {
        createRevisionsRepository(db).addCorrection(current.id, text, now)
        return commit(articles, current, {}, actor, now)
      })
    },

    /** DELETE: into the trash, restorable for the retention period. */
    trash(idOrSlug: string, ifMatch: string | undefined, actor: Actor) {
      change(idOrSlug, ifMatch, (current, articles, now) => commit(articles, current, { deletedAt: now }, actor, now))
    },

    listTrash: (limit: number, seek: Seek | undefined) => repo.trash(limit, seek, clock()),

    /** Removes for good what has been in the trash longer than the retention period. */
    purge(dryRun: boolean) {
      return db.transaction((tx) => createArticlesRepository(tx).purge(clock() - trashRetentionDays * DAY, dryRun), {
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
          if (current.deletedAt < now - trashRetentionDays * DAY) {
            throw gone(`The article "${idOrSlug}" was deleted more than ${trashRetentionDays} days ago and can no longer be restored.`)
          }
          return commit(articles, current, { deletedAt: null }, actor, now)
        },
        { behavior: 'immediate' },
      )
    },
  }
}

export type ArticlesService = ReturnType<typeof createArticlesService>
