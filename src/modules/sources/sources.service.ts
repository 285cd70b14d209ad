import type { Deps } from '../../deps.js'
import type { Viewer } from '../../http/auth.js'
import type { Seek } from '../../http/pagination.js'
import { catalogListOptions, type CatalogListQuery } from '../catalog-list.js'
import { patchNamed, slugForNew } from '../catalog-write.js'
import { conflict, notFound } from '../../http/errors.js'
import { checkIfMatch } from '../../http/conditional.js'
import { newId } from '../../ids.js'
import { createArticlesRepository } from '../articles/articles.repository.js'
import { articleSaved } from '../articles/articles.service.js'
import { createSourcesRepository } from './sources.repository.js'
import type { Source, SourceCreate, SourcePatch } from './sources.schemas.js'

export function createSourcesService({ db, clock }: Deps) {
  const sources = createSourcesRepository(db)

  function get(idOrSlug: string): Source {
    const source = sources.find(idOrSlug)
    if (!source) throw notFound(`There is no source "${idOrSlug}".`)
    return source
  }

  return {
    get,
    list: (limit: number, seek: Seek | undefined, query: CatalogListQuery, viewer: Viewer) =>
      sources.list(limit, seek, catalogListOptions(query, viewer, clock())),

    create(input: SourceCreate): Source {
      return db.transaction(
        (tx) => {
          const repo = createSourcesRepository(tx)
          const id = newId('src')
          const slug = slugForNew(repo, input, id)
          const now = clock()
          return repo.insert({
            id,
            slug,
            name: input.name,
            url: input.url ?? null,
            description: input.description ?? null,
            createdAt: now,
            updatedAt: now,
          })
        },
        { behavior: 'immediate' },
      )
    },

    /** Applies a merge patch; articles that embed the source get a new version when it is renamed. */
    update(idOrSlug: string, patch: SourcePatch, ifMatch: string | undefined, actor: string): Source {
      return db.transaction(
        (tx) => {
          const now = clock()
          const target = { idOrSlug, kind: 'source', ifMatch }
          const { row, changed } = patchNamed(createSourcesRepository(tx), target, patch, ['name', 'slug', 'url', 'description'] as const, now)
          if (changed.includes('name') || changed.includes('slug')) {
            for (const article of createArticlesRepository(tx).touchWhereSource(row.id, now)) articleSaved(tx, article, actor, now)
          }
          return row
        },
        { behavior: 'immediate' },
      )
    },

    /** A source that articles still use cannot go: say how many, so the caller can move them. */
    delete(idOrSlug: string, ifMatch: string | undefined, actor: string) {
      db.transaction(
        (tx) => {
          const repo = createSourcesRepository(tx)
          const current = repo.find(idOrSlug)
          if (!current) throw notFound(`There is no source "${idOrSlug}".`)
          checkIfMatch(ifMatch, current.version)
          const used = repo.countArticles(current.id)
          if (used > 0) {
            throw conflict(
              `The source "${current.slug}" is used by ${used} article${used === 1 ? '' : 's'}; move them to another source first.`,
              { articleCount: used },
            )
          }
          repo.delete(current.id)
        },
        { behavior: 'immediate' },
      )
    },
  }
}

export type SourcesService = ReturnType<typeof createSourcesService>
