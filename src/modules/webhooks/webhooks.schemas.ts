import { z } from 'zod'
import { DELIVERY_STATUSES, REMOVE_REASONS, WEBHOOK_EVENT_TYPES } from '../../db/schema.js'
import { HttpUrlSchema, iso, isoOrNull, PageMetaSchema, SlugSchema, TimestampSchema } from '../../http/schemas.js'
import type { AttemptRow, DeliveryRow } from './deliveries.repository.js'
import type { WebhookRow } from './webhooks.repository.js'

export const WebhookEventTypeSchema = z.enum(WEBHOOK_EVENT_TYPES).meta({
  id: 'WebhookEventType',
  description:
    'article.published: an article entered the public list (published, or its scheduled time or embargo came); article.updated: a listed article changed; article.removed: it left the list (unpublished, archived, withdrawn, embargoed, deleted).',
})

const EventsSchema = z.array(WebhookEventTypeSchema).min(1).max(WEBHOOK_EVENT_TYPES.length)
const TagFilterSchema = SlugSchema.nullable().describe('Only articles with this tag (by slug); null: any.')
const SourceFilterSchema = SlugSchema.nullable().describe('Only articles from this source (by slug); null: any.')

export const WebhookSchema = z
  .object({
    id: z.string(),
    url: z.string(),
    events: z.array(WebhookEventTypeSchema),
    tag: z.string().nullable().describe('Tag filter, by slug.'),
    source: z.string().nullable().describe('Source filter, by slug.'),
    disabled: z.boolean().describe('A disabled webhook gets no new deliveries and sends none of its pending ones.'),
    disabledAt: TimestampSchema.nullable(),
    createdAt: TimestampSchema,
    updatedAt: TimestampSchema,
    version: z.number().int(),
  })
  .meta({ id: 'Webhook', description: 'A subscription: which article events go to which URL. The secret is only shown on creation.' })
export type Webhook = z.infer<typeof WebhookSchema>

export const CreatedWebhookSchema = WebhookSchema.extend({
  secret: z
    .string()
    .describe('The signing secret (`whsec_` + base64). Shown only in this response: store it to verify webhook-signature.'),
}).meta({ id: 'CreatedWebhook' })

export const WebhookCreateSchema = z
  .strictObject({
    url: HttpUrlSchema.describe('Where to POST events: http or https, on a public address.'),
    events: EventsSchema,
    tag: TagFilterSchema.optional(),
    source: SourceFilterSchema.optional(),
  })
  .meta({ id: 'WebhookCreate' })
export type WebhookCreate = z.infer<typeof WebhookCreateSchema>

export const WebhookPatchSchema = z
  .strictObject({
    url: HttpUrlSchema.optional(),
    events: EventsSchema.optional(),
    tag: TagFilterSchema.optional(),
    source: SourceFilterSchema.optional(),
    disabled: z.boolean().optional().describe('true stops deliveries; false resumes them from now on (events in between are not sent).'),
  })
  .meta({ id: 'WebhookPatch', description: 'A JSON merge patch (RFC 7396): null clears a filter.' })
export type WebhookPatch = z.infer<typeof WebhookPatchSchema>

export const WebhookListSchema = z.object({ data: z.array(WebhookSchema), meta: PageMetaSchema }).meta({ id: 'WebhookList' })

export const WebhookEventSchema = z
  .object({
    type: WebhookEventTypeSchema,
    timestamp: TimestampSchema.describe('When the change became visible (the change feed’s `at`).'),
    data: z.object({
      seq: z.number().int().describe('The change-feed event id (GET /v1/changes `seq`).'),
      articleId: z.string(),
      version: z.number().int(),
      reason: z.enum(REMOVE_REASONS).optional().describe('Why the article left the public list (article.removed only).'),
      article: z
        .record(z.string(), z.unknown())
        .optional()
        .describe('The article as an anonymous reader sees it (schema Article), as the change feed renders it; not on article.removed.'),
    }),
  })
  .meta({ id: 'WebhookEvent', description: 'The JSON body POSTed to a webhook URL.' })

const AttemptSchema = z
  .object({
    at: TimestampSchema,
    statusCode: z.number().int().nullable().describe('The receiver’s HTTP status; null when none came (refused, timeout, network error).'),
    error: z.string().nullable().describe('Why the attempt failed; null when it succeeded.'),
    durationMs: z.number().int(),
  })
  .meta({ id: 'WebhookAttempt' })

export const DeliverySchema = z
  .object({
    id: z.string().describe('The webhook-id header: the same on every attempt.'),
    webhookId: z.string(),
    seq: z.number().int(),
    type: WebhookEventTypeSchema,
    status: z.enum(DELIVERY_STATUSES),
    nextAttemptAt: TimestampSchema.nullable().describe('When it will be tried next (pending only).'),
    lastStatusCode: z.number().int().nullable(),
    lastError: z.string().nullable(),
    createdAt: TimestampSchema,
    deliveredAt: TimestampSchema.nullable(),
    attempts: z.array(AttemptSchema).describe('Every attempt, oldest first.'),
    payload: WebhookEventSchema,
  })
  .meta({ id: 'WebhookDelivery' })

export const DeliveryListSchema = z.object({ data: z.array(DeliverySchema), meta: PageMetaSchema }).meta({ id: 'WebhookDeliveryList' })

export const DeliveryParamsSchema = z.object({ id: z.string().min(1).max(200), deliveryId: z.string().min(1).max(200) })

export const toWebhook = (row: WebhookRow): Webhook => ({
  id: row.id,
  url: row.url,
  events: row.events,
  tag: row.tag,
  source: row.source,
  disabled: row.disabledAt !== null,
  disabledAt: isoOrNull(row.disabledAt),
  createdAt: iso(row.createdAt),
  updatedAt: iso(row.updatedAt),
  version: row.version,
})

export const toDelivery = (row: DeliveryRow, attempts: AttemptRow[]) => ({
  id: row.id,
  webhookId: row.webhookId,
  seq: row.eventSeq,
  type: row.eventType,
  status: row.status,
  nextAttemptAt: row.status === 'pending' ? isoOrNull(row.nextAttemptAt) : null,
  lastStatusCode: row.lastStatusCode,
  lastError: row.lastError,
  createdAt: iso(row.createdAt),
  deliveredAt: isoOrNull(row.deliveredAt),
  attempts: attempts.map((a) => ({ at: iso(a.attemptedAt), statusCode: a.statusCode, error: a.error, durationMs: a.durationMs })),
  payload: JSON.parse(row.payload),
})
