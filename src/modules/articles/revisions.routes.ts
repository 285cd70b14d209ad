import type { FastifyPluginAsyncZod } from '@fastify/type-provider-zod'
import { z } from 'zod'
import { actorOf, requireScope } from '../../http/auth.js'
import { setItemValidators } from '../../http/conditional.js'
import { listPage } from '../../http/pagination.js'
import { PageMetaSchema, PageQuerySchema, problems, TimestampSchema } from '../../http/schemas.js'
import { ArticleSchema } from './articles.schemas.js'
import type { Revision } from './revisions.repository.js'
import type { RevisionsService } from './revisions.service.js'

const tags = ['revisions']
const security = [{ bearerAuth: [] }]

const VersionSchema = z.coerce.number().int().min(1).max(2 ** 31)
const RevisionParams = z.object({ idOrSlug: z.string().min(1).max(200), version: VersionSchema })
const DiffParams = z.object({ idOrSlug: z.string().min(1).max(200), a: VersionSchema, b: VersionSchema })

const RevisionInfoSchema = z
  .object({ version: z.number().int(), createdAt: TimestampSchema, actor: z.string().describe('The name of the API key.') })
  .meta({ id: 'RevisionInfo' })
const RevisionSchema = RevisionInfoSchema.extend({ article: ArticleSchema }).meta({ id: 'Revision' })
const RevisionListSchema = z.object({ data: z.array(RevisionInfoSchema), meta: PageMetaSchema }).meta({ id: 'RevisionList' })
const RevisionDiffSchema = z
  .object({
    from: z.number().int(),
    to: z.number().int(),
    fields: z.array(z.string()).describe('The fields whose value differs.'),
    changes: z.record(z.string(), z.object({ from: z.unknown(), to: z.unknown() })),
    body: z
      .array(z.object({ op: z.enum(['keep', 'add', 'remove']), lines: z.number().int(), value: z.string() }))
      .describe('A line diff of the body.'),
  })
  .meta({ id: 'RevisionDiff' })

/** Article history: every version, a diff between two, and restoring an old one as a new version. */
export const revisionsRoutes: FastifyPluginAsyncZod<{ service: RevisionsService }> = async (app, { service }) => {
  app.addHook('onRequest', requireScope('write'))

  app.get(
    '/:idOrSlug/revisions',
    {
      schema: {
        operationId: 'listRevisions',
        summary: 'List revisions',
        description: 'Every version of the article, newest first: when, and by which key.',
        tags,
        security,
        params: z.object({ idOrSlug: z.string().min(1).max(200) }),
        querystring: PageQuerySchema,
        response: { 200: RevisionListSchema, ...problems(400, 401, 403, 404) },
      },
    },
    async (request, reply) =>
      listPage<Revision>(reply, {
        ...request.query,
        query: { resource: 'revisions', article: request.params.idOrSlug },
        keyOf: (r) => [r.version],
        keyLength: 1,
        fetch: (limit, seek) => service.list(request.params.idOrSlug, limit, seek),
      }),
  )

  app.get(
    '/:idOrSlug/revisions/:version',
    {
      schema: {
        operationId: 'getRevision',
        summary: 'Get a revision',
        description: 'The article exactly as it was at that version.',
        tags,
        security,
        params: RevisionParams,
        response: { 200: RevisionSchema, ...problems(400, 401, 403, 404) },
      },
    },
    async (request) => service.get(request.params.idOrSlug, request.params.version),
  )

  app.get(
    '/:idOrSlug/revisions/:a/diff/:b',
    {
      schema: {
        operationId: 'diffRevisions',
        summary: 'Compare two revisions',
        description: 'Which fields changed between versions a and b, with their values, and a line diff of the body.',
        tags,
        security,
        params: DiffParams,
        response: { 200: RevisionDiffSchema, ...problems(400, 401, 403, 404) },
      },
    },
    async (request) => service.diff(request.params.idOrSlug, request.params.a, request.params.b),
  )

  app.post(
    '/:idOrSlug/revisions/:version/restore',
    {
      config: { changesExisting: true },
      schema: {
        operationId: 'restoreRevision',
        summary: 'Restore a revision',
        description:
          'Makes a new version whose content equals that revision (headline, body, summary, byline, image, source, tags, ...). The lifecycle state is not changed; history is never rewritten.',
        tags,
        security,
        params: RevisionParams,
        response: { 200: ArticleSchema, ...problems(400, 401, 403, 404, 409, 412, 422, 428) },
      },
    },
    async (request, reply) => {
      const { idOrSlug, version } = request.params
      const article = service.restore(idOrSlug, version, request.headers['if-match'], actorOf(request))
      setItemValidators(reply, article)
      return article
    },
  )
}
