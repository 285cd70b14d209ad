import { readMigrationFiles } from 'drizzle-orm/migrator'
import type { FastifyPluginAsyncZod } from '@fastify/type-provider-zod'
import { sql } from 'drizzle-orm'
import { z } from 'zod'
import { MIGRATIONS_FOLDER } from '../../db/client.js'
import type { Deps } from '../../deps.js'
import { HttpProblem } from '../../http/errors.js'
import { problems } from '../../http/schemas.js'

const HealthSchema = z.object({ status: z.literal('ok') }).meta({ id: 'Health' })
const ReadySchema = z
  .object({ status: z.literal('ok'), migrations: z.number().int().describe('Migrations applied.') })
  .meta({ id: 'Readiness' })

export const healthModule: FastifyPluginAsyncZod<Deps> = async (app, { db }) => {
  const expected = readMigrationFiles({ migrationsFolder: MIGRATIONS_FOLDER }).length

  app.get(
    '/health',
    {
      schema: {
        operationId: 'getHealth',
        summary: 'Liveness',
        description: 'Answers while the process is up.',
        tags: ['health'],
        response: { 200: HealthSchema },
      },
    },
    async (_request, reply) => {
      reply.header('cache-control', 'no-store')
      return { status: 'ok' as const }
    },
  )

  app.get(
    '/health/ready',
    {
      schema: {
        operationId: 'getReadiness',
        summary: 'Readiness',
        description: 'Answers 200 when the database responds and every migration is applied, 503 otherwise.',
        tags: ['health'],
        response: { 200: ReadySchema, ...problems(503) },
      },
    },
    async (_request, reply) => {
      reply.header('cache-control', 'no-store')
      let applied: number
      try {
        applied = db.get<{ n: number }>(sql`select count(*) as n from __drizzle_migrations`).n
      } catch {
        throw new HttpProblem(503, 'not-ready', 'Not ready', 'The database does not answer.')
      }
      if (applied < expected) {
        throw new HttpProblem(503, 'not-ready', 'Not ready', `${applied} of ${expected} migrations are applied.`)
      }
      return { status: 'ok' as const, migrations: applied }
    },
  )
}
