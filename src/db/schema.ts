import { sql } from 'drizzle-orm'
import { index, integer, primaryKey, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core'

// Times are stored as integer milliseconds since the epoch (UTC): compact, indexable and
// exactly ordered. The API layer renders them as ISO 8601 strings with a Z.

export const sources = sqliteTable(
  'sources',
  {
    id: text('id').primaryKey(),
    slug: text('slug').notNull(),
    name: text('name').notNull(),
    url: text('url'),
    description: text('description'),
    createdAt: integer('created_at').notNull(),
    updatedAt: integer('updated_at').notNull(),
    version: integer('version').notNull().default(1),
  },
  (t) => [uniqueIndex('sources_slug_unique').on(t.slug), index('sources_name_id_idx').on(t.name, t.id)],
)

export const TAG_KINDS = ['subject', 'person', 'organisation', 'place', 'event'] as const
export type TagKind = (typeof TAG_KINDS)[number]

export const tags = sqliteTable(
  'tags',
  {
    id: text('id').primaryKey(),
    slug: text('slug').notNull(),
    name: text('name').notNull(),
    kind: text('kind', { enum: TAG_KINDS }).notNull().default('subject'),
    description: text('description'),
    createdAt: integer('created_at').notNull(),
    updatedAt: integer('updated_at').notNull(),
    version: integer('version').notNull().default(1),
  },
  (t) => [uniqueIndex('tags_slug_unique').on(t.slug), index('tags_name_id_idx').on(t.name, t.id)],
)

// 'scheduled' is not stored: it is a published article whose publishedAt is still ahead.
export const ARTICLE_STATUSES = ['draft', 'published', 'archived', 'withdrawn'] as const
export type ArticleStatus = (typeof ARTICLE_STATUSES)[number]

export const BODY_FORMATS = ['text', 'markdown', 'html'] as const
export type BodyFormat = (typeof BODY_FORMATS)[number]

export const articles = sqliteTable(
  'articles',
  {
    // A stable integer key for the full-text index (FTS5 external content needs an integer
    // rowid that VACUUM cannot renumber); the API only ever shows `id`.
    docId: integer('doc_id').primaryKey(),
    id: text('id').notNull(),
    slug: text('slug').notNull(),
    headline: text('headline').notNull(),
    summary: text('summary'),
    body: text('body').notNull(),
    bodyFormat: text('body_format', { enum: BODY_FORMATS }).notNull().default('text'),
    // Derived from body on every write: sanitised HTML, and the plain text that search,
    // word counts and feeds use.
    bodyHtml: text('body_html').notNull(),
    bodyText: text('body_text').notNull(),
    byline: text('byline'),
    dateline: text('dateline'),
    language: text('language').notNull().default('en'),
    status: text('status', { enum: ARTICLE_STATUSES }).notNull().default('draft'),
    publishedAt: integer('published_at'),
    canonicalUrl: text('canonical_url'),
    imageUrl: text('image_url'),
    imageCaption: text('image_caption'),
    imageCredit: text('image_credit'),
    sourceId: text('source_id').references(() => sources.id, { onDelete: 'restrict' }),
    // Invisible to anonymous readers until this time, even when published (ninjs "embargoed").
    embargoedUntil: integer('embargoed_until'),
    withdrawnAt: integer('withdrawn_at'),
    withdrawalReason: text('withdrawal_reason'),
    // In the trash since this time; purged after the retention period.
    deletedAt: integer('deleted_at'),
    // The partner's or archive's own id (ninjs altIds): imports upsert by it.
    externalId: text('external_id'),
    wordCount: integer('word_count').notNull(),
    createdAt: integer('created_at').notNull(),
    updatedAt: integer('updated_at').notNull(),
    version: integer('version').notNull().default(1),
    // The list order key: publication time, or creation time for what was never published,
    // so that drafts listed by key holders page with the same cursor as everything else.
    sortAt: integer('sort_at').generatedAlwaysAs(sql`coalesce(published_at, created_at)`, { mode: 'virtual' }),
  },
  (t) => [
    uniqueIndex('articles_id_unique').on(t.id),
    uniqueIndex('articles_slug_unique').on(t.slug),
    // Lists walk this index in order. It carries every column the visibility rule and the
    // source filter test, so rows that do not qualify are skipped without reading the table
    // (an article row holds its body, several KB, before these columns).
    index('articles_list_idx').on(t.status, t.sortAt, t.id, t.deletedAt, t.embargoedUntil, t.sourceId),
    index('articles_status_updated_idx').on(t.status, t.updatedAt, t.id),
    // A list of one source, one byline or one language walks its own part of the list, newest
    // first, instead of the whole list index until enough rows match (a byline or language with
    // no articles walked every one: 0.7 s at 100,000). The source's one is also its foreign key.
    // list-sql.ts lets one of them bound a list (leadingFilter: byline, then source, then language).
    index('articles_source_list_idx').on(t.sourceId, t.status, t.sortAt, t.id, t.deletedAt, t.embargoedUntil),
    index('articles_byline_list_idx').on(t.byline, t.status, t.sortAt, t.id, t.deletedAt, t.embargoedUntil),
    index('articles_language_list_idx').on(t.language, t.status, t.sortAt, t.id, t.deletedAt, t.embargoedUntil),
    // The trash only: partial, so the planner can never take it for `deleted_at IS NULL`, which
    // nearly every row matches (it did: 441 ms for a list by source).
    index('articles_trash_idx').on(t.deletedAt).where(sql`${t.deletedAt} is not null`),
    uniqueIndex('articles_external_id_unique').on(t.externalId),
    // The next embargo to end (modules/articles/public-view.ts); most articles have none.
    index('articles_embargo_idx').on(t.embargoedUntil).where(sql`${t.embargoedUntil} is not null`),
  ],
)

/**
 * One row counting committed writes to articles, tags and sources (triggers, migration 0007),
 * whichever process made them: the response cache's signal that public content changed.
 */
export const contentGeneration = sqliteTable('content_generation', {
  id: integer('id').primaryKey(),
  n: integer('n').notNull(),
})

export const LIST_COUNT_FACETS = ['all', 'tag', 'source', 'month'] as const

/**
 * How many articles are "listable" (published and not deleted) in all (key ''), per tag, per
 * source and per month of publication, kept by triggers (migration 0009) in the same
 * transaction as every write, from any process. Readers subtract the few listable articles
 * that the clock still hides (scheduled, under embargo) to get the public list's facets and
 * total without counting a million rows (article-queries.ts).
 */
export const listCounts = sqliteTable(
  'list_counts',
  {
    facet: text('facet', { enum: LIST_COUNT_FACETS }).notNull(),
    key: text('key').notNull(),
    n: integer('n').notNull(),
  },
  (t) => [primaryKey({ columns: [t.facet, t.key] })],
)

export const CHANGE_TYPES = ['upsert', 'remove'] as const
export const REMOVE_REASONS = ['deleted', 'unpublished', 'withdrawn', 'archived', 'embargoed'] as const
export type RemoveReason = (typeof REMOVE_REASONS)[number]

/**
 * The change feed: what an anonymous list reader would see change, per article. An event
 * becomes readable at `effective_at` (a scheduled article's upsert waits for its time), and the
 * feed is read in (effective_at, seq) order. Not tied to articles by a foreign key: a tombstone
 * outlives the article it reports.
 */
export const articleEvents = sqliteTable(
  'article_events',
  {
    seq: integer('seq').primaryKey({ autoIncrement: true }),
    articleId: text('article_id').notNull(),
    type: text('type', { enum: CHANGE_TYPES }).notNull(),
    reason: text('reason', { enum: REMOVE_REASONS }),
    version: integer('version').notNull(),
    // An upsert that brings the article into the public list (rather than updating it there):
    // what webhooks announce as article.published.
    entersList: integer('enters_list', { mode: 'boolean' }).notNull().default(false),
    effectiveAt: integer('effective_at').notNull(),
    createdAt: integer('created_at').notNull(),
  },
  (t) => [
    index('article_events_feed_idx').on(t.effectiveAt, t.seq),
    index('article_events_article_idx').on(t.articleId, t.effectiveAt, t.seq),
  ],
)

/** Public notes of what was corrected and when, in order. */
export const articleCorrections = sqliteTable(
  'article_corrections',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    articleId: text('article_id')
      .notNull()
      .references(() => articles.id, { onDelete: 'cascade' }),
    at: integer('at').notNull(),
    text: text('text').notNull(),
  },
  (t) => [index('article_corrections_article_idx').on(t.articleId, t.id)],
)

/** The article as it was at each version: who made it, when, and the full representation. */
export const articleRevisions = sqliteTable(
  'article_revisions',
  {
    articleId: text('article_id')
      .notNull()
      .references(() => articles.id, { onDelete: 'cascade' }),
    version: integer('version').notNull(),
    createdAt: integer('created_at').notNull(),
    actor: text('actor').notNull(),
    snapshot: text('snapshot', { mode: 'json' }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.articleId, t.version] })],
)

export const articleTags = sqliteTable(
  'article_tags',
  {
    articleId: text('article_id')
      .notNull()
      .references(() => articles.id, { onDelete: 'cascade' }),
    tagId: text('tag_id')
      .notNull()
      .references(() => tags.id, { onDelete: 'cascade' }),
    // 0 is the primary tag; the order is the editor's.
    position: integer('position').notNull(),
  },
  (t) => [primaryKey({ columns: [t.articleId, t.tagId] }), index('article_tags_tag_idx').on(t.tagId, t.articleId)],
)

export const KEY_SCOPES = ['read', 'write', 'admin'] as const
export type KeyScope = (typeof KEY_SCOPES)[number]

export const apiKeys = sqliteTable(
  'api_keys',
  {
    id: text('id').primaryKey(),
    name: text('name').notNull(),
    scope: text('scope', { enum: KEY_SCOPES }).notNull(),
    // SHA-256 of the secret. Keys are 256-bit random, so a fast hash is enough: there is
    // nothing to brute-force, and lookups stay cheap on every request.
    hash: text('hash').notNull(),
    // The first characters of the key, shown in listings so people can tell keys apart.
    prefix: text('prefix').notNull(),
    // Requests per RATE_LIMIT_WINDOW for this key; null: the global RATE_LIMIT_MAX.
    rateLimitMax: integer('rate_limit_max'),
    createdAt: integer('created_at').notNull(),
    lastUsedAt: integer('last_used_at'),
    revokedAt: integer('revoked_at'),
  },
  (t) => [uniqueIndex('api_keys_hash_unique').on(t.hash)],
)

/** Responses to POSTs sent with an Idempotency-Key, replayed for 24 hours. */
export const idempotencyKeys = sqliteTable(
  'idempotency_keys',
  {
    // The API key that sent it: idempotency keys are scoped per client.
    owner: text('owner').notNull(),
    key: text('key').notNull(),
    // Method, path and a hash of the body: the same key with another request is refused.
    fingerprint: text('fingerprint').notNull(),
    state: text('state', { enum: ['running', 'done'] }).notNull(),
    statusCode: integer('status_code'),
    headers: text('headers', { mode: 'json' }).$type<Record<string, string>>(),
    body: text('body'),
    createdAt: integer('created_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.owner, t.key] }), index('idempotency_keys_created_idx').on(t.createdAt)],
)

export const WEBHOOK_EVENT_TYPES = ['article.published', 'article.updated', 'article.removed'] as const
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number]

/** A partner's subscription: where to send which change-feed events, and the secret to sign them with. */
export const webhooks = sqliteTable(
  'webhooks',
  {
    id: text('id').primaryKey(),
    url: text('url').notNull(),
    events: text('events', { mode: 'json' }).$type<WebhookEventType[]>().notNull(),
    // Optional filters, by slug: only articles with this tag / from this source.
    tag: text('tag'),
    source: text('source'),
    // `whsec_` + base64 of 32 random bytes. Kept as given: signing needs it (Standard Webhooks).
    secret: text('secret').notNull(),
    // The dispatcher's position in the change feed: the last event read in (effective_at, seq)
    // order, and the highest seq read (an event committed late, with an older effective_at,
    // still has a higher seq than everything read before it).
    cursorEffectiveAt: integer('cursor_effective_at').notNull(),
    cursorSeq: integer('cursor_seq').notNull(),
    cursorMaxSeq: integer('cursor_max_seq').notNull(),
    createdAt: integer('created_at').notNull(),
    updatedAt: integer('updated_at').notNull(),
    version: integer('version').notNull().default(1),
    disabledAt: integer('disabled_at'),
  },
  (t) => [index('webhooks_created_idx').on(t.createdAt, t.id)],
)

export const DELIVERY_STATUSES = ['pending', 'delivered', 'failed'] as const
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number]

/** The outbox: one row per event per webhook, sent (and retried) by the dispatcher. */
export const webhookDeliveries = sqliteTable(
  'webhook_deliveries',
  {
    // The `webhook-id` header: the same on every attempt, so receivers can deduplicate.
    id: text('id').primaryKey(),
    webhookId: text('webhook_id')
      .notNull()
      .references(() => webhooks.id, { onDelete: 'cascade' }),
    eventSeq: integer('event_seq').notNull(),
    eventType: text('event_type', { enum: WEBHOOK_EVENT_TYPES }).notNull(),
    // The exact body sent on every attempt (each attempt signs it with a fresh timestamp).
    payload: text('payload').notNull(),
    status: text('status', { enum: DELIVERY_STATUSES }).notNull().default('pending'),
    // Attempts since it was last queued (created or redelivered): drives the backoff and the give-up.
    attempts: integer('attempts').notNull().default(0),
    nextAttemptAt: integer('next_attempt_at'),
    // A dispatcher's lease while it sends: no other process claims the row before it ends.
    claimedUntil: integer('claimed_until'),
    claimToken: text('claim_token'),
    lastStatusCode: integer('last_status_code'),
    lastError: text('last_error'),
    queuedAt: integer('queued_at').notNull(),
    createdAt: integer('created_at').notNull(),
    deliveredAt: integer('delivered_at'),
  },
  (t) => [
    uniqueIndex('webhook_deliveries_event_unique').on(t.webhookId, t.eventSeq),
    index('webhook_deliveries_list_idx').on(t.webhookId, t.createdAt, t.eventSeq),
    index('webhook_deliveries_due_idx').on(t.status, t.nextAttemptAt),
  ],
)

/** Every attempt to send a delivery: when, what came back, how long it took. */
export const webhookAttempts = sqliteTable(
  'webhook_attempts',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    deliveryId: text('delivery_id')
      .notNull()
      .references(() => webhookDeliveries.id, { onDelete: 'cascade' }),
    attemptedAt: integer('attempted_at').notNull(),
    statusCode: integer('status_code'),
    error: text('error'),
    durationMs: integer('duration_ms').notNull(),
  },
  (t) => [index('webhook_attempts_delivery_idx').on(t.deliveryId, t.id)],
)
