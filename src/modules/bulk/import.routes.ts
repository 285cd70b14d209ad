import { createHash } from 'node:crypto'
import type { FastifyPluginAsyncZod } from '@fastify/type-provider-zod'
import { actorOf, requireScope } from '../../http/auth.js'
import { HttpProblem } from '../../http/errors.js'
import { problems } from '../../http/schemas.js'
import { ImportBodySchema, ImportQuerySchema, ImportReportSchema, type ImportReport } from './bulk.schemas.js'
import type { BulkService } from './bulk.service.js'
import { NDJSON_MEDIA_TYPE, readLines } from './ndjson.js'

/** The most an import request may carry; bigger files go through `npm run cli -- import FILE`. */
export const IMPORT_BODY_LIMIT = 256 * 1024 * 1024

/**
 * An NDJSON body, received whole before the import starts: a body read as slowly as articles
 * are written would outlast the server's request timeout. It serialises to its hash, which is
 * what the Idempotency-Key fingerprint needs to tell two bodies apart.
 */
class NdjsonBody {
  constructor(readonly bytes: Buffer) {}
  toJSON() {
    return { sha256: createHash('sha256').update(this.bytes).digest('base64url') }
  }
  /** The bytes in slices, so that no line splitting ever holds more than a slice and a line as text. */
  *chunks() {
    for (let start = 0; start < this.bytes.length; start += 64 * 1024) yield this.bytes.subarray(start, start + 64 * 1024)
  }
}

const notNdjson = () =>
  new HttpProblem(415, 'unsupported-media-type', 'Unsupported media type', `Send the articles as NDJSON, with Content-Type: ${NDJSON_MEDIA_TYPE}.`)

/** atomic=true and a line failed: nothing was written, and the answer is that line's problem. */
function atomicFailure({ summary, results }: ImportReport): HttpProblem {
  const failed = results.find((result) => result.status === 'failed')!
  const { type, title, status, detail } = failed.problem!
  return new HttpProblem(status, type.replace(/^\/problems\//, ''), title, `Line ${failed.line}: ${detail.replace(/\.?$/, '.')} Nothing was imported (atomic=true).`, {
    line: failed.line,
    summary,
    results,
  })
}

export const importRoutes: FastifyPluginAsyncZod<{ bulk: BulkService }> = async (app, { bulk }) => {
  app.addContentTypeParser(NDJSON_MEDIA_TYPE, { parseAs: 'buffer', bodyLimit: IMPORT_BODY_LIMIT }, (_request, body, done) =>
    done(null, new NdjsonBody(body as Buffer)),
  )

  app.post(
    '/import',
    {
      onRequest: requireScope('write'),
      bodyLimit: IMPORT_BODY_LIMIT,
      schema: {
        operationId: 'importArticles',
        summary: 'Import articles from NDJSON',
        description:
          'Upserts one article per line: the one with the line\'s externalId, else the one with its slug (unless that one has another externalId), else a new one. A line is the create shape (plus externalId, any status, withdrawalReason) or a line of GET /v1/export, whose read-only fields (id, version, bodyHtml, timestamps, corrections...) are ignored and whose embedded tags and source count by slug. Fields a line leaves out keep their values; a line that changes nothing makes no new version, so importing the same file twice changes nothing. Lines are written 1,000 to a transaction; a bad line fails alone (its result carries a problem with pointers into the line) unless atomic=true, where it fails the whole import with its problem and nothing is written. dryRun=true checks everything and writes nothing. Up to 256 MiB per request; the CLI (`npm run cli -- import FILE`) takes files of any size.',
        tags: ['syndication'],
        security: [{ bearerAuth: [] }],
        consumes: [NDJSON_MEDIA_TYPE],
        querystring: ImportQuerySchema,
        body: ImportBodySchema,
        response: { 200: ImportReportSchema, ...problems(400, 401, 403, 409, 413, 415, 422) },
      },
    },
    async (request) => {
      if (!(request.body instanceof NdjsonBody)) throw notNdjson()
      const { rolledBack, ...report } = await bulk.importLines(readLines(request.body.chunks()), {
        ...request.query,
        actor: actorOf(request),
      })
      if (rolledBack) throw atomicFailure(report)
      return report
    },
  )
}
