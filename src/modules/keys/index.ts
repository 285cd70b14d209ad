import type { FastifyInstance } from 'fastify'
import { keysRoutes } from './keys.routes.js'
import type { KeysService } from './keys.service.js'

export async function keysModule(app: FastifyInstance, { service }: { service: KeysService }) {
  await app.register(keysRoutes, { service })
}
