import { brotliCompressSync, constants, gzipSync } from 'node:zlib'
import { negotiate } from '@fastify/accept-negotiator'
import fastifyCompress from '@fastify/compress'
import type { FastifyInstance, FastifyRequest, onSendHookHandler } from 'fastify'
import fp from 'fastify-plugin'
import { appendVary } from './vary.js'

/** Preferred first when the client's Accept-Encoding ranks them equally. */
const ENCODINGS = ['br', 'gzip'] as const
export type Encoding = (typeof ENCODINGS)[number]
/** Smaller bodies go out as they are: the saving would not pay for the work. */
export const COMPRESS_THRESHOLD = 1024
/** Quality 4, not brotli's default 11, which costs many times the CPU for a few percent (the plugin's own default). */
const BROTLI_OPTIONS = { params: { [constants.BROTLI_PARAM_QUALITY]: 4 } }

/**
 * The encoding @fastify/compress would choose for this request, for bodies compressed outside
 * it (the response cache compresses a stored body once per encoding). The same rules: `*` and
 * x-gzip mean gzip, and an x-no-compression request header turns it off.
 */
export function negotiatedEncoding(request: FastifyRequest): Encoding | undefined {
  const header = request.headers['accept-encoding']
  if (header === undefined || request.headers['x-no-compression'] !== undefined) return undefined
  return negotiate<Encoding>(header.toLowerCase().replace(/\*|x-gzip/g, 'gzip'), [...ENCODINGS]) ?? undefined
}

/** The body in that encoding, with the settings the plugin streams it with. */
export const compressed = (body: Buffer, encoding: Encoding): Buffer =>
  encoding === 'br' ? brotliCompressSync(body, BROTLI_OPTIONS) : gzipSync(body)

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
    await app.register(fastifyCompress, {
      encodings: [...ENCODINGS],
      threshold: COMPRESS_THRESHOLD,
      brotliOptions: BROTLI_OPTIONS,
      globalDecompression: false,
    })
    // Added after the plugin's own onRoute hook, so this runs after its onSend.
    app.addHook('onRoute', (route) => {
      const hooks = route.onSend === undefined ? [] : Array.isArray(route.onSend) ? route.onSend : [route.onSend]
      route.onSend = [...hooks, tidyVary]
    })
  },
  { name: 'compression' },
)
