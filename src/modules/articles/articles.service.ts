import type { ArticleStatus } from '../../db/schema.js'
import type { Deps } from '../../deps.js'
import { canSeeUnpublished, type Viewer } from '../../http/auth.js'
import { checkIfMatch } from '../../http/conditional.js'
import { forbidden, notFound, slugTaken, unauthorized, unprocessable } from '../../http/errors.js'
import type { Seek } from '../../http/pagination.js'
import { newId } from '../../ids.js'
import { slugFrom, uniqueSlug } from '../../slugs.js'
import { createArticlesRepository, type ArticleRow } from './articles.repository.js'
import type { Article, ArticleCreate, ArticlePatch } from './articles.schemas.js'
import { assertMove } from './lifecycle.js'
import { mergePatch } from './merge-patch.js'
import { resolveReferences } from './references.js'
import { visibleTo } from './visibility.js'
import { countWords } from './word-count.js'

type Image = { url?: string | null; caption?: string | null; credit?: string | null }

const parseTime = (value: string | null | undefined) => (value == null ? null : Date.parse(value))

/** The image columns for an image object; an image with nothing in it is no image. */
function imageColumns(image: Image | null | undefined) {
  return { imageUrl: image?.url ?? null, imageCaption: image?.caption ?? null, imageCredit: image?.credit ?? null }
}

const publishedNeedsTime = () =>
  unprocessable('A published or archived article needs a publication time.', [
    { in: 'body', pointer: '/publishedAt', message: 'cannot be null while the article is published or archived' },
  ])

export function createArticlesService({ db, clock }: Deps) {
  const repo = createArticlesRepository(db)
  const notFoundProblem = (idOrSlug: string) => notFound(`There is no article "${idOrSlug}".`)

  return {
    get(idOrSlug: string, viewer: Viewer): Article {
      const row = repo.findRow(idOrSlug, visibleTo(viewer, clock()))
      if (!row) throw notFoundProblem(idOrSlug)
      return repo.toArticle(row)
    },

    /** Published articles for everyone; other states need a key with the write scope. */
    list(query: { status: ArticleStatus }, viewer: Viewer, limit: number, seek: Seek | undefined) {
      if (query.status === 'draft' && !canSeeUnpublished(viewer)) {
        if (viewer === null) throw unauthorized('Listing drafts needs an API key with the "write" scope.')
        throw forbidden(`Listing drafts needs the "write" scope; your key has "${viewer.scope}".`)
      }
      return repo.list({ status: query.status, visible: visibleTo(viewer, clock()) }, limit, seek)
    },

    create(input: ArticleCreate): Article {
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
            body: input.body,
            byline: input.byline ?? null,
            dateline: input.dateline ?? null,
            language: input.language ?? 'en',
            status,
            // An imported archive article keeps its date; a fresh one is published now.
            publishedAt: parseTime(input.publishedAt) ?? (status === 'published' ? now : null),
            canonicalUrl: input.canonicalUrl ?? null,
            ...imageColumns(input.image),
            sourceId,
            wordCount: countWords(input.body),
            createdAt: now,
            updatedAt: now,
          })
          articles.setTags(id, tagIds)
          return articles.toArticle(row)
        },
        { behavior: 'immediate' },
      )
    },

    update(idOrSlug: string, patch: ArticlePatch, ifMatch: string | undefined): Article {
      return db.transaction(
        (tx) => {
          const articles = createArticlesRepository(tx)
          const current = articles.findRow(idOrSlug)
          if (!current) throw notFoundProblem(idOrSlug)
          checkIfMatch(ifMatch, current.version)
          const changes = diff(current, patch, articles.tagIds(current.id), tx)
          if (changes.slug !== undefined && articles.slugTaken(changes.slug)) throw slugTaken(changes.slug)
          const { tagIds, ...columns } = changes
          if (Object.keys(changes).length === 0) return articles.toArticle(current)
          if (tagIds) articles.setTags(current.id, tagIds)
          const row = articles.update(current.id, { ...columns, updatedAt: clock(), version: current.version + 1 })
          return articles.toArticle(row)
        },
        { behavior: 'immediate' },
      )
    },

    delete(idOrSlug: string, ifMatch: string | undefined) {
      db.transaction(
        (tx) => {
          const articles = createArticlesRepository(tx)
          const current = articles.findRow(idOrSlug)
          if (!current) throw notFoundProblem(idOrSlug)
          checkIfMatch(ifMatch, current.version)
          articles.delete(current.id)
        },
        { behavior: 'immediate' },
      )
    },
  }

  /** The columns (and tag list) a merge patch really changes; empty when it changes nothing. */
  function diff(current: ArticleRow, patch: ArticlePatch, currentTagIds: string[], tx: Parameters<typeof resolveReferences>[0]) {
    const next: Partial<ArticleRow> & { tagIds?: string[] } = {}
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
    if (patch.body !== undefined && patch.body !== current.body) {
      next.body = patch.body
      next.wordCount = countWords(patch.body)
    }
    if (patch.image !== undefined) {
      const before = { url: current.imageUrl, caption: current.imageCaption, credit: current.imageCredit }
      const image = imageColumns(mergePatch(before, patch.image) as Image)
      for (const key of Object.keys(image) as (keyof typeof image)[]) set(key, image[key])
    }
    const refs = resolveReferences(tx, patch)
    set('sourceId', refs.sourceId)
    if (refs.tagIds && refs.tagIds.join() !== currentTagIds.join()) next.tagIds = refs.tagIds

    const status = patch.status ?? current.status
    if (status !== current.status) assertMove(current.status, status)
    set('status', status)
    let publishedAt = patch.publishedAt === undefined ? current.publishedAt : parseTime(patch.publishedAt)
    if (publishedAt === null && status !== 'draft') {
      if (current.status !== 'draft' && patch.publishedAt === null) throw publishedNeedsTime()
      publishedAt = clock() // first publication
    }
    set('publishedAt', publishedAt)
    return next
  }
}

export type ArticlesService = ReturnType<typeof createArticlesService>
