import type { DbOrTx, Tx } from '../../db/client.js'
import type { BodyFormat } from '../../db/schema.js'
import type { Deps } from '../../deps.js'
import { conflict, slugTaken, unprocessable } from '../../http/errors.js'
import { newId } from '../../ids.js'
import { slugFrom, uniqueSlug } from '../../slugs.js'
import { createChangeRecorder } from '../changes/record-change.js'
import { createArticlesRepository, type ArticleRow } from './articles.repository.js'
import type { Article, ArticleCreate, ArticlePatch } from './articles.schemas.js'
import { renderBody } from './body.js'
import { assertTransition, stateOf, transitionTo, type Transition } from './lifecycle.js'
import { mergePatch } from './merge-patch.js'
import { resolveReferences, type ResolvedReferences } from './references.js'
import { createRevisionsRepository } from './revisions.repository.js'
import { countWords } from './word-count.js'

// The writes to an article, run inside the caller's transaction (the articles service opens
// it: one per API call, one per import batch). Each returns the new row and the article as
// its revision recorded it.

type Image = { url?: string | null; caption?: string | null; credit?: string | null }
type Changes = Partial<ArticleRow> & { tagIds?: string[] }
/** Who made a change, recorded with its revision: the API key's name. */
export type Actor = string
export type Written = { row: ArticleRow; article: Article }

export const externalIdTaken = (externalId: string) =>
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

/**
 * Every write to an article ends here, whoever makes it (this module, a tag or source rename,
 * an import): its revision (history is only ever appended to) and its change-feed event, in
 * the caller's transaction. The statements are prepared once per saver: the articles service
 * keeps one for its connection, articleSaved makes one for a single call.
 */
function createSaver(db: DbOrTx) {
  const articles = createArticlesRepository(db)
  const revisions = createRevisionsRepository(db)
  const recordChange = createChangeRecorder(db)
  /**
   * `created`: the row was just inserted with this source and these tags, so the article is
   * built from them, without reading back what was just written (nor its corrections and
   * change events: a new id has none).
   */
  return (row: ArticleRow, actor: Actor, now: number, created?: Pick<Required<ResolvedReferences>, 'source' | 'tags'>): Article => {
    const article = created ? articles.toNewArticle(row, created.source, created.tags, now) : articles.toArticle(row, now)
    revisions.insert(row.id, actor, article, now)
    recordChange(row, now, { fresh: created !== undefined })
    return article
  }
}

export function articleSaved(tx: Tx, row: ArticleRow, actor: Actor, now: number): Article {
  return createSaver(tx)(row, actor, now)
}

/**
 * The write operations over one connection. Long-lived, so their prepared statements are
 * reused; one connection, so inside a transaction they read and write in that transaction.
 */
export function createArticleWrites({ db, clock }: Pick<Deps, 'db' | 'clock'>) {
  const repo = createArticlesRepository(db)
  const saved = createSaver(db)

  /** Writes a new version of an existing article. */
  function commit(current: ArticleRow, changes: Changes, actor: Actor, now: number): Written {
    const { tagIds, ...columns } = changes
    if (tagIds) repo.setTags(current.id, tagIds)
    const row = repo.update(current.id, { ...columns, updatedAt: now, version: current.version + 1 })
    return { row, article: saved(row, actor, now) }
  }

  /** The columns (and tag list) a merge patch really changes; empty when it changes nothing. */
  function diff(current: ArticleRow, patch: ArticlePatch, now: number): Changes {
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
    const refs = resolveReferences(repo, patch)
    set('sourceId', refs.sourceId)
    if (refs.tagIds && refs.tagIds.join() !== repo.tagIds(current.id).join()) next.tagIds = refs.tagIds

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
    commit,

    insert(input: ArticleCreate, actor: Actor): Written {
      const { sourceId = null, tagIds = [], source = null, tags = [] } = resolveReferences(repo, input)
      if (input.slug !== undefined && repo.slugTaken(input.slug)) throw slugTaken(input.slug)
      if (input.externalId != null && repo.externalIdTaken(input.externalId)) throw externalIdTaken(input.externalId)
      const id = newId('art')
      const now = clock()
      const status = input.status ?? 'draft'
      const row = repo.insert({
        id,
        slug: input.slug ?? uniqueSlug(slugFrom(input.headline, id.replace('_', '-')), repo.slugTaken),
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
      repo.addTags(id, tagIds)
      return { row, article: saved(row, actor, now, { source, tags }) }
    },

    /** A merge patch; undefined when it changes nothing (no new version). */
    patch(current: ArticleRow, input: ArticlePatch, actor: Actor, now: number): Written | undefined {
      const changes = diff(current, input, now)
      if (changes.slug !== undefined && repo.slugTaken(changes.slug)) throw slugTaken(changes.slug)
      if (changes.externalId != null && repo.externalIdTaken(changes.externalId)) throw externalIdTaken(changes.externalId)
      if (Object.keys(changes).length === 0) return undefined
      return commit(current, changes, actor, now)
    },

    /** publish (optionally at a time), unpublish, archive, withdraw (with a reason). */
    move(current: ArticleRow, transition: Transition, options: { at?: string | undefined; reason?: string | undefined }, actor: Actor, now: number): Written {
      const at = parseTime(options.at) ?? undefined
      const changes = transitionColumns(current, transition, now, {
        ...(at === undefined ? {} : { at }),
        ...(options.reason === undefined ? {} : { reason: options.reason }),
      })
      return commit(current, changes, actor, now)
    },
  }
}

export type ArticleWrites = ReturnType<typeof createArticleWrites>
