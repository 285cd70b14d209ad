import type { FastifyPluginAsyncZod } from '@fastify/type-provider-zod'
import { requireScope } from '../../http/auth.js'
import { notFound } from '../../http/errors.js'
import { IdParamsSchema, problems } from '../../http/schemas.js'
import type { KeysService } from './keys.service.js'
import { ApiKeyCreateSchema, ApiKeyListSchema, ApiKeySchema, CreatedApiKeySchema, toApiKey } from './keys.schemas.js'

const tags = ['keys']
const security = [{ bearerAuth: [] }]

/** Key management for admins; the same operations as `npm run cli -- keys ...`. */
export const keysRoutes: FastifyPluginAsyncZod<{ service: KeysService }> = async (app, { service }) => {
  app.addHook('onRequest', requireScope('admin'))

  app.get(
    '/',
    {
      schema: {
        operationId: 'listKeys',
        summary: 'List API keys',
        description: 'Every key, revoked ones included, oldest first. Secrets are never shown again.',
        tags,
        security,
        response: { 200: ApiKeyListSchema, ...problems(401, 403) },
      },
    },
    async () => ({ data: service.list().map(toApiKey) }),
  )

  app.post(
    '/',
    {
      // A replay would need the new secret stored in the clear: key creation is not idempotent.
      config: { idempotency: false },
      schema: {
        operationId: 'createKey',
        summary: 'Create an API key',
        description: 'Makes a new random key. The response carries the secret once; store it then.',
        tags,
        security,
        body: ApiKeyCreateSchema,
        response: { 201: CreatedApiKeySchema, ...problems(400, 401, 403, 413, 415) },
      },
    },
    async (request, reply) => {
      const { name, scope, rateLimitMax } = request.body
      const { key, record } = service.create(name, scope, { rateLimitMax })
      reply.header('cache-control', 'no-store')
      return reply.code(201).header('location', `/v1/keys/${record.id}`).send({ ...toApiKey(record), key })
    },
  )

  app.delete(
    '/:id',
    {
      schema: {
        operationId: 'revokeKey',
        summary: 'Revoke an API key',
        description: 'Revokes a key at once; requests that use it get 401 from then on. The record stays for audit.',
        tags,
        security,
        params: IdParamsSchema,
        response: { 200: ApiKeySchema, ...problems(401, 403, 404) },
      },
    },
    async (request) => {
      const revoked = service.revoke(request.params.id)
      if (!revoked) throw notFound(`There is no active key "${request.params.id}".`)
      return toApiKey(revoked)
    },
  )
}
