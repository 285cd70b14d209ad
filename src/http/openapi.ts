import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import { jsonSchemaTransform, jsonSchemaTransformObject } from '@fastify/type-provider-zod'
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { finishDocument } from './openapi-document.js'

/** The OpenAPI 3.1 document, generated from the routes' zod schemas, and the /docs reference. */
export const openapi = fp(
  async (app: FastifyInstance) => {
    await app.register(swagger, {
      openapi: {
        openapi: '3.1.0',
        info: {
          title: 'Newsdesk API',
          version: '1.0.0',
          description:
            'An open REST/JSON API for news articles, tags and sources. Errors are RFC 9457 problem details; collections page with opaque cursors.',
          contact: { name: 'Newsdesk' },
          license: { name: 'MIT', identifier: 'MIT' },
        },
        servers: [{ url: '/', description: 'This server' }],
        tags: [
          { name: 'articles', description: 'News articles: create, edit, publish and read.' },
          { name: 'revisions', description: 'Article history: versions, diffs and restoring an old version.' },
          { name: 'tags', description: 'Subjects, people, organisations, places and events articles are about.' },
          { name: 'sources', description: 'Outlets and agencies content comes from.' },
          { name: 'feeds', description: 'RSS 2.0, Atom 1.0 and JSON Feed 1.1 of published articles, for feed readers and partners.' },
          { name: 'syndication', description: 'For partners mirroring the content: the change feed, export and import.' },
          { name: 'webhooks', description: 'Signed event deliveries to partners (Standard Webhooks), their attempts and redelivery (admin scope).' },
          { name: 'keys', description: 'API keys (admin scope).' },
          { name: 'health', description: 'Liveness and readiness.' },
        ],
        components: {
          securitySchemes: {
            bearerAuth: { type: 'http', scheme: 'bearer', description: 'An API key: Authorization: Bearer nd_...' },
          },
        },
      },
      transform: jsonSchemaTransform,
      transformObject: (input) => finishDocument(jsonSchemaTransformObject(input)),
    })
    await app.register(swaggerUi, { routePrefix: '/docs' })
    app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger())
  },
  { name: 'openapi' },
)
