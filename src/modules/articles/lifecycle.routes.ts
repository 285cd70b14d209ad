import type { FastifyRequest } from 'fastify'
import type { FastifyPluginAsyncZod } from '@fastify/type-provider-zod'
import { actorOf, requireScope } from '../../http/auth.js'
import { setItemValidators } from '../../http/conditional.js'
import { IdOrSlugParamsSchema, problems } from '../../http/schemas.js'
import { ArticleSchema, TransitionSchemas } from './articles.schemas.js'
import type { ArticlesService } from './articles.service.js'

const tags = ['articles']
const security = [{ bearerAuth: [] }]

const MOVES = {
  publish: 'Publishes now, or at `at` (a future time schedules it; it goes live by the clock). From draft, scheduled or archived.',
  unpublish: 'Back to draft. From published or scheduled.',
  archive: 'Archives a published article: still readable by URL, left out of default lists and feeds.',
  withdraw: 'Withdraws a published or archived article for good, with a public reason; anonymous readers get 410 with it.',
} as const

/** Editorial moves: the article lifecycle, corrections, and restoring from the trash. */
export const lifecycleRoutes: FastifyPluginAsyncZod<{ service: ArticlesService }> = async (app, { service }) => {
  app.addHook('onRequest', requireScope('write'))
  const common = { tags, security, params: IdOrSlugParamsSchema }
  const respond = { 200: ArticleSchema, ...problems(400, 401, 403, 404, 409, 412, 428) }

  for (const move of ['publish', 'unpublish', 'archive', 'withdraw'] as const) {
    const body = move === 'publish' ? TransitionSchemas.publish.optional() : move === 'withdraw' ? TransitionSchemas.withdraw : undefined
    app.post(
      `/:idOrSlug/${move}`,
      {
        config: { changesExisting: true },
        // The publish body is optional: `curl -X POST .../publish` sends none, which Fastify
        // hands over as null; validate it as the empty object it means.
        ...(move === 'publish' ? { preValidation: async (request: FastifyRequest) => void (request.body ??= {}) } : {}),
        schema: {
          ...common,
          operationId: `${move}Article`,
          summary: `${move[0]!.toUpperCase()}${move.slice(1)} an article`,
          description: `${MOVES[move]} A move the current state does not allow is a 409 listing the allowed ones.`,
          ...(body ? { body } : {}),
          response: respond,
        },
      },
      async (request, reply) => {
        const input = (request.body ?? {}) as { at?: string; reason?: string }
        const article = service.transition(request.params.idOrSlug, move, input, request.headers['if-match'], actorOf(request))
        setItemValidators(reply, article)
        return article
      },
    )
  }

  app.post(
    '/:idOrSlug/corrections',
    {
      config: { changesExisting: true },
      schema: {
        ...common,
        operationId: 'addCorrection',
        summary: 'Add a correction',
        description: 'Appends a dated public correction note to the article and gives it a new version.',
        body: TransitionSchemas.correction,
        response: { 201: ArticleSchema, ...problems(400, 401, 403, 404, 412, 428) },
      },
    },
    async (request, reply) => {
      const article = service.correct(request.params.idOrSlug, request.body.text, request.headers['if-match'], actorOf(request))
      setItemValidators(reply, article)
      return reply.code(201).header('location', `/v1/articles/${article.id}`).send(article)
    },
  )

  app.post(
    '/:idOrSlug/restore',
    {
      config: { changesExisting: true },
      schema: {
        ...common,
        operationId: 'restoreArticle',
        summary: 'Restore from the trash',
        description: 'Brings a deleted article back, in the state it had, within the retention period (410 after it).',
        response: { 200: ArticleSchema, ...problems(401, 403, 404, 410, 412, 428) },
      },
    },
    async (request, reply) => {
      const article = service.restore(request.params.idOrSlug, request.headers['if-match'], actorOf(request))
      setItemValidators(reply, article)
      return article
    },
  )
}
