import type { Deps } from '../../deps.js'
import type { FieldError } from '../../http/errors.js'
import { notFound, unprocessable } from '../../http/errors.js'
import { checkIfMatch } from '../../http/conditional.js'
import type { Seek } from '../../http/pagination.js'
import { createSourcesRepository } from '../sources/sources.repository.js'
import { createTagsRepository } from '../tags/tags.repository.js'
import { createDeliveriesRepository } from './deliveries.repository.js'
import { newId } from '../../ids.js'
import { newSecret } from './signing.js'
import { createTargetGuard } from './target-guard.js'
import { createWebhooksRepository, type WebhookRow } from './webhooks.repository.js'
import { toDelivery, toWebhook, type WebhookCreate, type WebhookPatch } from './webhooks.schemas.js'

/** Webhook subscriptions (admin): the rules that need the database, the target checks, the cursor. */
export function createWebhooksService({ db, clock, config }: Deps) {
  const repo = createWebhooksRepository(db)
  const deliveries = createDeliveriesRepository(db)
  const guard = createTargetGuard({ allowHosts: config.webhookAllowHosts })

  /** 422 for a refused target or a filter naming no tag or source. */
  function checkFields(fields: { url?: string | undefined; tag?: string | null | undefined; source?: string | null | undefined }) {
    const errors: FieldError[] = []
    const refused = fields.url === undefined ? null : guard.checkUrl(fields.url)
    if (refused) errors.push({ in: 'body', pointer: '/url', message: refused })
    if (fields.tag != null && !createTagsRepository(db).slugTaken(fields.tag)) {
      errors.push({ in: 'body', pointer: '/tag', message: `there is no tag "${fields.tag}"` })
    }
    if (fields.source != null && !createSourcesRepository(db).slugTaken(fields.source)) {
      errors.push({ in: 'body', pointer: '/source', message: `there is no source "${fields.source}"` })
    }
    if (errors.length > 0) throw unprocessable(errors.map((e) => `${e.pointer.slice(1)}: ${e.message}`).join('; '), errors)
  }

  function found(id: string): WebhookRow {
    const row = repo.find(id)
    if (!row) throw notFound(`There is no webhook "${id}".`)
    return row
  }

  return {
    list: (limit: number, seek: Seek | undefined) => repo.list(limit, seek).map((row) => ({ ...toWebhook(row), cursorKey: [row.createdAt, row.id] })),

    get: (id: string) => toWebhook(found(id)),

    /** Starts at the end of the change feed: a new webhook hears of changes from now on. */
    create(input: WebhookCreate) {
      checkFields(input)
      const secret = newSecret()
      const row = db.transaction(
        (tx) => {
          const now = clock()
          const cursor = createWebhooksRepository(tx).feedEnd(now)
          return createWebhooksRepository(tx).insert({
            id: newId('whk'),
            url: input.url,
            events: [...new Set(input.events)],
            tag: input.tag ?? null,
            source: input.source ?? null,
            secret,
            cursorEffectiveAt: cursor.effectiveAt,
            cursorSeq: cursor.seq,
            cursorMaxSeq: cursor.maxSeq,
            createdAt: now,
            updatedAt: now,
          })
        },
        { behavior: 'immediate' },
      )
      return { ...toWebhook(row), secret }
    },

    update(id: string, patch: WebhookPatch, ifMatch: string | undefined) {
      checkFields(patch)
      return db.transaction(
        (tx) => {
          const webhooks = createWebhooksRepository(tx)
          const current = webhooks.find(id)
          if (!current) throw notFound(`There is no webhook "${id}".`)
          checkIfMatch(ifMatch, current.version)
          const now = clock()
          const changes: Parameters<typeof webhooks.update>[1] = { updatedAt: now, version: current.version + 1 }
          if (patch.url !== undefined) changes.url = patch.url
          if (patch.events !== undefined) changes.events = [...new Set(patch.events)]
          if (patch.tag !== undefined) changes.tag = patch.tag
          if (patch.source !== undefined) changes.source = patch.source
          if (patch.disabled === true && current.disabledAt === null) changes.disabledAt = now
          if (patch.disabled === false && current.disabledAt !== null) {
            // Re-enabled: from now on, not a backlog of what happened while it was off.
            const cursor = webhooks.feedEnd(now)
            Object.assign(changes, { disabledAt: null, cursorEffectiveAt: cursor.effectiveAt, cursorSeq: cursor.seq, cursorMaxSeq: cursor.maxSeq })
          }
          return toWebhook(webhooks.update(id, changes))
        },
        { behavior: 'immediate' },
      )
    },

    delete(id: string, ifMatch: string | undefined) {
      checkIfMatch(ifMatch, found(id).version)
      repo.delete(id)
    },

    deliveries(id: string, limit: number, seek: Seek | undefined) {
      found(id)
      const rows = deliveries.page(id, limit, seek)
      const attempts = deliveries.attemptsOf(rows.map((r) => r.id))
      return rows.map((row) => ({ ...toDelivery(row, attempts.get(row.id) ?? []), cursorKey: [row.createdAt, row.eventSeq] }))
    },

    /** Queues a delivery again, due now, whatever its state. */
    redeliver(id: string, deliveryId: string) {
      found(id)
      const row = deliveries.requeue(id, deliveryId, clock())
      if (!row) throw notFound(`Webhook "${id}" has no delivery "${deliveryId}".`)
      return toDelivery(row, deliveries.attemptsOf([row.id]).get(row.id) ?? [])
    },
  }
}

export type WebhooksService = ReturnType<typeof createWebhooksService>
