import type { FastifyPluginAsyncZod } from '@fastify/type-provider-zod'
import { requireScope } from '../../http/auth.js'
import { listPage } from '../../http/pagination.js'
import { IdParamsSchema, PageQuerySchema, problems } from '../../http/schemas.js'
import type { WebhooksService } from './webhooks.service.js'
import { DeliveryListSchema, DeliveryParamsSchema, DeliverySchema } from './webhooks.schemas.js'

const tags = ['webhooks']
const security = [{ bearerAuth: [] }]

/** A webhook's deliveries: what was sent, every attempt, and a manual redeliver. */
export const deliveriesRoutes: FastifyPluginAsyncZod<{ service: WebhooksService }> = async (app, { service }) => {
  app.addHook('onRequest', requireScope('admin'))

  app.get(
    '/:id/deliveries',
    {
      schema: {
        operationId: 'listWebhookDeliveries',
        summary: 'List a webhook’s deliveries',
        description:
          'Newest first: each delivery with its payload, status (pending, delivered, failed), next attempt, and every attempt with the status code or error. Failed attempts are retried with exponential backoff and jitter (30 s doubling, at most an hour apart) until WEBHOOK_MAX_ATTEMPTS or 24 hours.',
        tags,
        security,
        params: IdParamsSchema,
        querystring: PageQuerySchema,
        response: { 200: DeliveryListSchema, ...problems(400, 401, 403, 404) },
      },
    },
    async (request, reply) =>
      listPage<ReturnType<WebhooksService['deliveries']>[number]>(reply, {
        limit: request.query.limit,
        cursor: request.query.cursor,
        query: { resource: 'webhook-deliveries', webhook: request.params.id },
        keyOf: (row) => row.cursorKey,
        keyLength: 2,
        fetch: (limit, seek) => service.deliveries(request.params.id, limit, seek),
      }),
  )

  app.post(
    '/:id/deliveries/:deliveryId/redeliver',
    {
      schema: {
        operationId: 'redeliverWebhookDelivery',
        summary: 'Redeliver',
        description:
          'Queues the delivery again, due now, with a fresh set of retries; the same body and webhook-id (with a new timestamp and signature), to the webhook’s current URL. Its earlier attempts stay listed.',
        tags,
        security,
        params: DeliveryParamsSchema,
        response: { 202: DeliverySchema, ...problems(401, 403, 404) },
      },
    },
    async (request, reply) => reply.code(202).send(service.redeliver(request.params.id, request.params.deliveryId)),
  )
}
