import type { FastifyPluginAsyncZod } from '@fastify/type-provider-zod'
import { problems } from '../../http/schemas.js'
import { ExportLinesSchema, ExportQuerySchema } from './bulk.schemas.js'
import type { BulkService } from './bulk.service.js'
import { NDJSON_MEDIA_TYPE, ndjsonStream } from './ndjson.js'

export const exportRoutes: FastifyPluginAsyncZod<{ bulk: BulkService }> = async (app, { bulk }) => {
  app.get(
    '/export',
    {
      // A HEAD would read every article only to throw the lines away.
      exposeHeadRoute: false,
      // NDJSON is JSON: compressed like it (br or gzip, streamed, constant memory) when asked for.
      compress: { customTypes: /^application\/x-ndjson(?:;|$)/, encodings: ['br', 'gzip'] },
      schema: {
        operationId: 'exportArticles',
        summary: 'Export articles as NDJSON',
        description:
          'Streams every article you may see, one per line (application/x-ndjson), in the order they were stored, in constant memory however many there are. Without a key (or with a read key): what the public list shows, i.e. published articles whose time has come and whose embargo is over. With a write key: every article not in the trash, in every state. Each line is the article as GET /v1/articles/{id} returns it, so the file re-imports as it is with POST /v1/import; `format=ninjs` writes IPTC ninjs 3.1 documents instead.',
        tags: ['syndication'],
        querystring: ExportQuerySchema,
        produces: [NDJSON_MEDIA_TYPE],
        response: { 200: ExportLinesSchema, ...problems(400, 401) },
      },
    },
    async (request, reply) => {
      const lines = bulk.exportLines(request.viewer, request.query.format, `${request.protocol}://${request.host}`)
      // A stream is sent as it is (never serialised); the schema only documents the lines.
      const body = ndjsonStream(lines) as unknown as string
      return reply.type(`${NDJSON_MEDIA_TYPE}; charset=utf-8`).send(body)
    },
  )
}
