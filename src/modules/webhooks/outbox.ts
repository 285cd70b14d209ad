import { and, asc, gt, lte, sql } from 'drizzle-orm'
import type { DbOrTx } from '../../db/client.js'
import { articleEvents, type WebhookEventType } from '../../db/schema.js'
import { iso } from '../../http/schemas.js'
import type { Deps } from '../../deps.js'
import { createArticlesRepository } from '../articles/articles.repository.js'
import { absenceReason, publicListFrom } from '../articles/visibility.js'
import { createChangesRepository, type ChangeEvent } from '../changes/changes.repository.js'
import { createDeliveriesRepository } from './deliveries.repository.js'
import { newId } from '../../ids.js'
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
 * anonymous reader sees it now). Each says how the article's place in the public list changed
 * since the webhook's position in the feed (`since`): article.published when it was not listed
 * there and is now, article.updated when it was and still is, article.removed when it was and no
 * longer is, and nothing when it was not and is not (published and removed again between two
 * rounds: a subscriber never had it). Whether it was listed comes from the article's history
 * (the feed keeps only its newest event), else, for an article older than its history, from the
 * event. Tags and source come along for the filters; for an article that no longer exists at
 * all they are unknown (null / undefined) and filters let it through.
 */
function mapEvents(db: DbOrTx, events: ChangeEvent[], now: number, since: number): (Mapped | null)[] {
  const articles = createArticlesRepository(db)
  const rows = articles.rowsByIds([...new Set(events.map((e) => e.articleId))])
  const rendered = new Map(articles.toArticles(rows, now).map((a) => [a.id, a]))
  const rowById = new Map(rows.map((r) => [r.id, r]))
  const known = createChangesRepository(db).listedAt(events.map((e) => ({ id: e.articleId, version: e.version })), since)
  return events.map((event) => {
    const row = rowById.get(event.articleId)
    const article = rendered.get(event.articleId)
    const from = row ? publicListFrom(row) : null
    const listedNow = event.type === 'upsert' && article !== undefined && from !== null && from <= now
    // What subscribers were last told. Without history: an article created since was not listed;
    // for an older one the event decides, as the feed alone would.
    const wasListed =
      known.get(event.articleId) ?? (row !== undefined && row.createdAt > since ? false : event.type === 'remove' || !event.entersList)
    known.set(event.articleId, listedNow) // a second event of the article in this batch follows on from this one
    const base = { seq: event.seq, articleId: event.articleId }
    const tags = article ? article.tags.map((t) => t.slug) : null
    const source = article ? (article.source?.slug ?? null) : undefined
    if (listedNow) {
      const type = wasListed ? 'article.updated' : 'article.published'
      return { type, data: { ...base, version: article.version, article }, tags, source }
    }
    if (!wasListed) return null
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
        mapEvents(tx, events, now, cursor.effectiveAt).forEach((event, i) => {
          const source = events[i]!
          if (event === null || !wanted(hook, event)) return
          const payload = JSON.stringify({ type: event.type, timestamp: iso(source.effectiveAt), data: event.data })
          deliveries.insert({
            id: newId('msg'),
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
