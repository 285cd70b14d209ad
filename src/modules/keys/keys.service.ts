import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'
import type { Db } from '../../db/client.js'
import type { KeyScope } from '../../db/schema.js'
import { newId } from '../../ids.js'
import { createKeysRepository, type ApiKeyRow } from './keys.repository.js'

export const hashKey = (key: string) => createHash('sha256').update(key, 'utf8').digest('hex')

const SCOPE_RANK: Record<KeyScope, number> = { read: 0, write: 1, admin: 2 }

/** admin includes write, write includes read. */
export const scopeAllows = (held: KeyScope, needed: KeyScope) => SCOPE_RANK[held] >= SCOPE_RANK[needed]

export type CreatedKey = { key: string; record: ApiKeyRow }

/** Optional settings of a new key. */
export type KeyOptions = { rateLimitMax?: number | null }

export function createKeysService(db: Db, clock: () => number) {
  const repo = createKeysRepository(db)

  function store(key: string, name: string, scope: KeyScope, options: KeyOptions = {}): CreatedKey {
    const record = repo.insert({
      id: newId('key'),
      name,
      scope,
      hash: hashKey(key),
      prefix: key.slice(0, 10),
      rateLimitMax: options.rateLimitMax ?? null,
      createdAt: clock(),
    })
    return { key, record }
  }

  return {
    /** Makes a new random key. The caller shows `key` once; only its hash is kept. */
    create(name: string, scope: KeyScope, options: KeyOptions = {}): CreatedKey {
      return store(`nd_${randomBytes(32).toString('base64url')}`, name, scope, options)
    },

    /** The active key this secret belongs to, or undefined. */
    authenticate(key: string): ApiKeyRow | undefined {
      const hash = hashKey(key)
      const row = repo.findByHash(hash)
      // The lookup is by hash, so timing reveals nothing about the secret; the explicit
      // constant-time comparison keeps it that way if the lookup ever changes.
      if (!row || !timingSafeEqual(Buffer.from(row.hash), Buffer.from(hash))) return undefined
      if (row.revokedAt !== null) return undefined
      const now = clock()
      if (row.lastUsedAt === null || now - row.lastUsedAt > 60 * 60 * 1000) repo.touch(row.id, now)
      return row
    },

    list: () => repo.list(),
    /** Requests per rate-limit window for this key; null: the global limit. */
    rateLimitMax: (id: string) => repo.rateLimitMax(id),
    revoke: (id: string) => repo.revoke(id, clock()),

    /**
     * First start: make sure someone can administer the server. A key from NEWSDESK_ADMIN_KEY is
     * registered if it is not already; otherwise, if no active key exists, a new admin key is
     * made and returned so that the entry point can print it once.
     */
    ensureAdminKey(configured: string | undefined): CreatedKey | undefined {
      if (configured !== undefined) {
        if (!repo.findByHash(hashKey(configured))) store(configured, 'admin (NEWSDESK_ADMIN_KEY)', 'admin')
        return undefined
      }
      if (repo.countActive() > 0) return undefined
      return this.create('admin (first start)', 'admin')
    },
  }
}

export type KeysService = ReturnType<typeof createKeysService>
