import type { FastifyPluginAsyncZod } from '@fastify/type-provider-zod'
import { z } from 'zod'
import { requireScope } from '../../http/auth.js'
import { setItemValidators } from '../../http/conditional.js'
import { listPage } from '../../http/pagination.js'
import { IdParamsSchema, PageQuerySchema, problems } from '../../http/schemas.js'
import type { WebhooksService } from './webhooks.service.js'
import { CreatedWebhookSchema, WebhookCreateSchema, WebhookListSchema, WebhookPatchSchema, WebhookSchema } from './webhooks.schemas.js'

const tags = ['webhooks']
const security = [{ bearerAuth: [] }]

/** Webhook subscriptions, for admins. Deliveries are in deliveries.routes.ts. */
export const webhooksRoutes: FastifyPluginAsyncZod<{ service: WebhooksService }> = async (app, { service }) => {
  app.addHook('onRequest', requireScope('admin'))

  app.get(
    '/',
    {
      schema: {
        operationId: 'listWebhooks',
        summary: 'List webhooks',
        description: 'Every webhook, oldest first, a page at a time. Secrets are never shown again.',
        tags,
        security,
        querystring: PageQuerySchema,
        response: { 200: WebhookListSchema, ...problems(400, 401, 403) },
      },
    },
    async (request, reply) =>
      listPage<ReturnType<WebhooksService['list']>[number]>(reply, {
        limit: request.query.limit,
        cursor: request.query.cursor,
        query: { resource: 'webhooks' },
        keyOf: (row) => row.cursorKey,
        keyLength: 2,
        fetch: (limit, seek) => service.list(limit, seek),
      }),
  )

  app.post(
    '/',
    {
      schema: {
        operationId: 'createWebhook',
        summary: 'Register a webhook',
        description:
          'Subscribes a URL to article events, optionally only for one tag and/or source (by slug). Events are POSTed as JSON, signed per Standard Webhooks (webhook-id, webhook-timestamp, webhook-signature) with the secret in this response, which is shown only here. A new webhook hears of changes made from now on. The URL must be http(s) on a public address: a private, loopback or link-local literal address is a 422 (host names are checked after DNS resolution when sending).',
        tags,
        security,
        body: WebhookCreateSchema,
        response: { 201: CreatedWebhookSchema, ...problems(400, 401, 403, 413, 415, 422) },
      },
    },
    async (request, reply) => {
      const created = service.create(request.body)
      setItemValidators(reply, created)
      reply.header('cache-control', 'no-store')
      return reply.code(201).header('location', `/v1/webhooks/${created.id}`).send(created)
    },
  )

  app.get(
    '/:id',
    {
      schema: {
        operationId: 'getWebhook',
        summary: 'Get a webhook',
        description: 'One webhook, without its secret.',
        tags,
        security,
        params: IdParamsSchema,
        response: { 200: WebhookSchema, ...problems(401, 403, 404) },
      },
    },
    async (request, reply) => {
      const webhook = service.get(request.params.id)
      setItemValidators(reply, webhook)
      return webhook
    },
  )

  app.patch(
    '/:id',
    {
      schema: {
        operationId: 'updateWebhook',
        summary: 'Update a webhook',
        description:
          'Applies a JSON merge patch: url, events, tag and source filters (null clears one), disabled. Pending deliveries go to the new URL. Send If-Match with the ETag you read to avoid overwriting a change.',
        tags,
        security,
        params: IdParamsSchema,
        body: WebhookPatchSchema,
        response: { 200: WebhookSchema, ...problems(400, 401, 403, 404, 412, 413, 415, 422) },
      },
    },
    async (request, reply) => {
      const webhook = service.update(request.params.id, request.body, request.headers['if-match'])
      setItemValidators(reply, webhook)
      return webhook
    },
  )

  app.delete(
    '/:id',
    {
      schema: {
        operationId: 'deleteWebhook',
        summary: 'Delete a webhook',
        description: 'Deletes the webhook with its deliveries; nothing more is sent to it.',
        tags,
        security,
        params: IdParamsSchema,
        response: { 204: z.null().describe('Deleted'), ...problems(401, 403, 404, 412) },
      },
    },
    async (request, reply) => {
      service.delete(request.params.id, request.headers['if-match'])
      return reply.code(204).send(null)
    },
  )
}
