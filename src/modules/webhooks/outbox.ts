import { and, asc, gt, lte, sql } from 'drizzle-orm'
import type { DbOrTx } from '../../db/client.js'
import { articleEvents, type WebhookEventType } from '../../db/schema.js'
import { iso } from '../../http/schemas.js'
import type { Deps } from '../../deps.js'
import { createArticlesRepository } from '../articles/articles.repository.js'
import { absenceReason, publicListFrom } from '../articles/visibility.js'
import { createChangesRepository, type ChangeEvent } from '../changes/changes.repository.js'
import { createDeliveriesRepository } from './deliveries.repository.js'
import { webhookId } from './ids.js'
import { createWebhooksRepository, type FeedCursor, type WebhookRow } from './webhooks.repository.js'

/** Events read per webhook per transaction. */
const BATCH = 200

type Mapped = { type: WebhookEventType; data: Record<string, unknown>; tags: string[] | null; source: string | null | undefined }

/**
 * Events committed after the webhook's last read but placed before its cursor (their writer read
 * the clock before waiting for the write lock): they have a higher seq than anything read.
 */
function lateEvents(db: DbOrTx, cursor: FeedCursor, now: number, limit: number): ChangeEvent[] {
  return db
    .select()
    .from(articleEvents)
    .where(
      and(
        gt(articleEvents.seq, cursor.maxSeq),
        lte(articleEvents.effectiveAt, now),
        sql`(${articleEvents.effectiveAt}, ${articleEvents.seq}) <= (${cursor.effectiveAt}, ${cursor.seq})`,
      ),
    )
    .orderBy(asc(articleEvents.seq))
    .limit(limit)
    .all()
}

/**
 * Change-feed events as webhook events, with the article as the change feed renders it (as an
 * anonymous reader sees it now): an upsert that brings the article into the public list is
 * article.published, another upsert article.updated, and a remove (or an upsert whose article is
 * no longer public) article.removed. Tags and source come along for the filters; for an article
 * that no longer exists at all they are unknown (null / undefined) and filters let it through.
 */
function mapEvents(db: DbOrTx, events: ChangeEvent[], now: number): Mapped[] {
  const articles = createArticlesRepository(db)
  const rows = articles.rowsByIds([...new Set(events.map((e) => e.articleId))])
  const rendered = new Map(articles.toArticles(rows, now).map((a) => [a.id, a]))
  const rowById = new Map(rows.map((r) => [r.id, r]))
  return events.map((event) => {
    const row = rowById.get(event.articleId)
    const article = rendered.get(event.articleId)
    const from = row ? publicListFrom(row) : null
    const base = { seq: event.seq, articleId: event.articleId }
    const tags = article ? article.tags.map((t) => t.slug) : null
    const source = article ? (article.source?.slug ?? null) : undefined
    if (event.type === 'upsert' && article && from !== null && from <= now) {
      const type = event.entersList ? 'article.published' : 'article.updated'
      return { type, data: { ...base, version: article.version, article }, tags, source }
    }
    const reason = event.reason ?? (row ? absenceReason(row, now) : 'deleted')
    return { type: 'article.removed', data: { ...base, version: row?.version ?? event.version, reason }, tags, source }
  })
}

const wanted = (hook: WebhookRow, event: Mapped) =>
  hook.events.includes(event.type) &&
  (hook.tag === null || event.tags === null || event.tags.includes(hook.tag)) &&
  (hook.source === null || event.source === undefined || event.source === hook.source)

/** Fills the outbox: turns each enabled webhook's new change-feed events into deliveries. */
export function createOutbox({ db, clock }: Deps) {
  /** One batch for one webhook, in one immediate transaction; true if there may be more. */
  function fillBatch(id: string): boolean {
    return db.transaction(
      (tx) => {
        const now = clock()
        const hook = createWebhooksRepository(tx).find(id)
        if (!hook || hook.disabledAt !== null) return false
        const cursor = { effectiveAt: hook.cursorEffectiveAt, seq: hook.cursorSeq, maxSeq: hook.cursorMaxSeq }
        const late = lateEvents(tx, cursor, now, BATCH)
        const fresh = late.length < BATCH ? createChangesRepository(tx).page(cursor, now, BATCH - late.length) : []
        const events = [...late, ...fresh]
        if (events.length === 0) return false
        const deliveries = createDeliveriesRepository(tx)
        mapEvents(tx, events, now).forEach((event, i) => {
          const source = events[i]!
          if (!wanted(hook, event)) return
          const payload = JSON.stringify({ type: event.type, timestamp: iso(source.effectiveAt), data: event.data })
          deliveries.insert({
            id: webhookId('msg'),
            webhookId: hook.id,
            eventSeq: source.seq,
            eventType: event.type,
            payload,
            nextAttemptAt: now,
            queuedAt: now,
            createdAt: now,
          })
        })
        const last = fresh.at(-1)
        createWebhooksRepository(tx).advance(hook.id, {
          effectiveAt: last?.effectiveAt ?? cursor.effectiveAt,
          seq: last?.seq ?? cursor.seq,
          maxSeq: Math.max(cursor.maxSeq, ...events.map((e) => e.seq)),
        })
        return events.length === BATCH
      },
      { behavior: 'immediate' },
    )
  }

  /** A read without the write lock: does this webhook have events to take in? */
  function hasNew(hook: WebhookRow, now: number): boolean {
    const cursor = { effectiveAt: hook.cursorEffectiveAt, seq: hook.cursorSeq, maxSeq: hook.cursorMaxSeq }
    return lateEvents(db, cursor, now, 1).length > 0 || createChangesRepository(db).page(cursor, now, 1).length > 0
  }

  return {
    /** Takes in what is new for every enabled webhook, `maxBatches` batches each at most; returns whether any is left. */
    enqueue(maxBatches = 50): boolean {
      const now = clock()
      let more = false
      for (const hook of createWebhooksRepository(db).enabled()) {
        if (!hasNew(hook, now)) continue
        let batches = 0
        while (fillBatch(hook.id)) if (++batches >= maxBatches) { more = true; break }
      }
      return more
    },
  }
}

export type Outbox = ReturnType<typeof createOutbox>
