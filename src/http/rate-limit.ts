import fastifyRateLimit from '@fastify/rate-limit'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import type { Config } from '../config.js'
import type { KeysService } from '../modules/keys/keys.service.js'
import { HttpProblem } from './errors.js'
import { windowStore } from './rate-limit-store.js'

// Headers of the IETF draft "RateLimit header fields for HTTP"
// (draft-ietf-httpapi-ratelimit-headers-11): one quota policy per caller, named "default".
const POLICY = '"default"'

/** How much of its budget the request's caller has left, as counted for this request. */
type Usage = { max: number; remaining: number; resetSeconds: number; exceeded: boolean }

declare module 'fastify' {
  interface FastifyRequest {
    rateLimitUsage: Usage | null
  }
}

export type RateLimitOptions = {
  config: Pick<Config, 'rateLimitMax' | 'rateLimitWindowSeconds' | 'rateLimitAnonymousMax'>
  keys: Pick<KeysService, 'rateLimitMax'>
  clock: () => number
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`

const rateLimited = (usage: Usage, windowSeconds: number) =>
  new HttpProblem(
    429,
    'rate-limited',
    'Too many requests',
    `You have used all ${plural(usage.max, 'request')} of this ${windowSeconds}-second window; ` +
      `retry in ${plural(usage.resetSeconds, 'second')}.`,
    {},
    { 'retry-after': String(usage.resetSeconds) },
  )

/**
 * Rate limits with @fastify/rate-limit: per API key (its own `rateLimitMax`, or RATE_LIMIT_MAX),
 * and per client address for callers without a key (RATE_LIMIT_ANONYMOUS_MAX). Registered after
 * authentication, so that the key is known. Every response carries RateLimit-Policy and RateLimit;
 * a request answered before this hook runs (a 401 for a bad key, a CORS preflight) is counted in
 * onSend against its address. RATE_LIMIT_MAX=0 registers nothing: no limits, no headers.
 */
export const rateLimit = fp(
  async (app: FastifyInstance, { config, keys, clock }: RateLimitOptions) => {
    if (config.rateLimitMax === 0) return
    const windowSeconds = config.rateLimitWindowSeconds
    const anonymousMax = config.rateLimitAnonymousMax ?? config.rateLimitMax

    await app.register(fastifyRateLimit, {
      // No per-route hooks: the app-wide hooks below also cover 404s and early answers.
      global: false,
      timeWindow: windowSeconds * 1000,
      store: windowStore(clock, windowSeconds * 1000),
      keyGenerator: (request) => (request.viewer === null ? `address ${request.ip}` : `key ${request.viewer.keyId}`),
      max: (request) =>
        request.viewer === null ? anonymousMax : (keys.rateLimitMax(request.viewer.keyId) ?? config.rateLimitMax),
    })
    const limiter = app.createRateLimit()

    async function count(request: FastifyRequest): Promise<Usage> {
      const result = await limiter(request)
      // isAllowed (not counted) comes only from an allowList, which is not configured.
      if (result.isAllowed) throw new Error('rate limit: the request was not counted')
      const { max, remaining, ttlInSeconds, isExceeded } = result
      request.rateLimitUsage = { max, remaining, resetSeconds: ttlInSeconds, exceeded: isExceeded }
      return request.rateLimitUsage
    }

    app.decorateRequest('rateLimitUsage', null)
    app.addHook('onRequest', async (request) => {
      const usage = await count(request)
      if (usage.exceeded) throw rateLimited(usage, windowSeconds)
    })
    app.addHook('onSend', async (request, reply, payload) => {
      const usage = request.rateLimitUsage ?? (await count(request))
      reply.header('ratelimit-policy', `${POLICY};q=${usage.max};w=${windowSeconds}`)
      reply.header('ratelimit', `${POLICY};r=${usage.remaining};t=${usage.resetSeconds}`)
      return payload
    })
  },
  { name: 'rate-limit', dependencies: ['authentication'] },
)
