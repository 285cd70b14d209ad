import fastifyCompress from '@fastify/compress'
import type { FastifyInstance, onSendHookHandler } from 'fastify'
import fp from 'fastify-plugin'
import { appendVary } from './vary.js'

// @fastify/compress appends a lower-case "accept-encoding" to Vary, checking case-sensitively,
// after conditional.ts has already named "Accept-Encoding": fold the two into one.
const tidyVary: onSendHookHandler = (_request, reply, payload, done) => {
  if (reply.hasHeader('vary')) appendVary(reply)
  done(null, payload)
}

/**
 * Responses of 1 KiB or more go out as br or gzip, as the client's Accept-Encoding prefers.
 * @fastify/compress hooks in per route (route-level onSend), so it runs after every app-level
 * onSend hook: the ETag, Vary and any 304 (conditional.ts) are decided on the uncompressed body,
 * and a 304's empty body is left alone. Register it before the routes it should cover.
 * Request bodies are not decompressed: clients send plain JSON.
 */
export const compression = fp(
  async (app: FastifyInstance) => {
    await app.register(fastifyCompress, { encodings: ['br', 'gzip'], threshold: 1024, globalDecompression: false })
    // Added after the plugin's own onRoute hook, so this runs after its onSend.
    app.addHook('onRoute', (route) => {
      const hooks = route.onSend === undefined ? [] : Array.isArray(route.onSend) ? route.onSend : [route.onSend]
      route.onSend = [...hooks, tidyVary]
    })
  },
  { name: 'compression' },
)
