import type { Deps } from '../../deps.js'
import type { Viewer } from '../../http/auth.js'
import type { Seek } from '../../http/pagination.js'
import { catalogListOptions, type CatalogListQuery } from '../catalog-list.js'
import { patchNamed, slugForNew } from '../catalog-write.js'
import { notFound } from '../../http/errors.js'
import { checkIfMatch } from '../../http/conditional.js'
import { newId } from '../../ids.js'
import { createArticlesRepository } from '../articles/articles.repository.js'
import { articleSaved } from '../articles/articles.service.js'
import { createTagsRepository } from './tags.repository.js'
import type { Tag, TagCreate, TagPatch } from './tags.schemas.js'

export function createTagsService({ db, clock }: Deps) {
  const tags = createTagsRepository(db)

  function get(idOrSlug: string): Tag {
    const tag = tags.find(idOrSlug)
    if (!tag) throw notFound(`There is no tag "${idOrSlug}".`)
    return tag
  }

  return {
    get,
    list: (limit: number, seek: Seek | undefined, query: CatalogListQuery, viewer: Viewer) =>
      tags.list(limit, seek, catalogListOptions(query, viewer, clock())),

    create(input: TagCreate): Tag {
      return db.transaction(
        (tx) => {
          const repo = createTagsRepository(tx)
          const id = newId('tag')
          const slug = slugForNew(repo, input, id)
          const now = clock()
          return repo.insert({
            id,
            slug,
            name: input.name,
            kind: input.kind,
            description: input.description ?? null,
            createdAt: now,
            updatedAt: now,
          })
        },
        { behavior: 'immediate' },
      )
    },

    /** Applies a merge patch; articles that embed the tag get a new version when it is renamed. */
    update(idOrSlug: string, patch: TagPatch, ifMatch: string | undefined, actor: string): Tag {
      return db.transaction(
        (tx) => {
          const now = clock()
          const target = { idOrSlug, kind: 'tag', ifMatch }
          const { row, changed } = patchNamed(createTagsRepository(tx), target, patch, ['name', 'slug', 'kind', 'description'] as const, now)
          if (changed.some((field) => field !== 'description')) {
            for (const article of createArticlesRepository(tx).touchWhereTag(row.id, now)) articleSaved(tx, article, actor, now)
          }
          return row
        },
        { behavior: 'immediate' },
      )
    },

    /** Deleting a tag removes it from its articles, which each get a new version. */
    delete(idOrSlug: string, ifMatch: string | undefined, actor: string) {
      db.transaction(
        (tx) => {
          const repo = createTagsRepository(tx)
          const current = repo.find(idOrSlug)
          if (!current) throw notFound(`There is no tag "${idOrSlug}".`)
          checkIfMatch(ifMatch, current.version)
          const now = clock()
          // Bump the articles first (finding them through the tag), then record them as they are
          // without it: the article_tags rows go with the tag (ON DELETE CASCADE).
          const touched = createArticlesRepository(tx).touchWhereTag(current.id, now)
          repo.delete(current.id)
          for (const row of touched) articleSaved(tx, row, actor, now)
        },
        { behavior: 'immediate' },
      )
    },
  }
}

export type TagsService = ReturnType<typeof createTagsService>
