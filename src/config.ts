import { isIP } from 'node:net'
import { availableParallelism } from 'node:os'
import { z } from 'zod'

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const

/** A browser origin: scheme and host (and port), no path, as in the Origin request header. */
const ORIGIN = /^[a-z][a-z\d+.-]*:\/\/[^\s/?#]+$/i

/** A duration with its unit: `30s`, `15m`, `1h`. */
const DURATION = /^(\d{1,6})(s|m|h)$/
const SECONDS_PER_UNIT: Record<string, number> = { s: 1, m: 60, h: 3600 }

/** proxy-addr's names for address ranges, as Fastify's trustProxy accepts them. */
const PROXY_RANGE_NAMES = ['loopback', 'linklocal', 'uniquelocal']

/** An address (`10.0.0.1`, `::1`), a CIDR range (`10.0.0.0/8`) or a range name (`loopback`). */
function isProxyAddress(entry: string): boolean {
  if (PROXY_RANGE_NAMES.includes(entry)) return true
  const [address = '', bits, ...rest] = entry.split('/')
  const version = isIP(address)
  if (version === 0 || rest.length > 0) return false
  return bits === undefined || (/^\d{1,3}$/.test(bits) && Number(bits) <= (version === 4 ? 32 : 128))
}

/** A host name (`partner.example`) or an IP address, as WEBHOOK_ALLOW_HOSTS lists them. */
const HOST_NAME = /^(?=.{1,253}$)[a-z\d_](?:[a-z\d_-]{0,61}[a-z\d])?(?:\.[a-z\d_](?:[a-z\d_-]{0,61}[a-z\d])?)*$/

/** Lower case, without IPv6 brackets or a final dot: the form webhook targets are compared in. */
export function normalizeHost(host: string): string {
  const bare = host.trim().toLowerCase().replace(/^\[(.*)\]$/, '$1')
  return bare.endsWith('.') ? bare.slice(0, -1) : bare
}

/** Environment variables, parsed once at the edge (server.ts, cli.ts). Tests pass overrides. */
const EnvSchema = z.object({
  HOST: z.string().min(1).default('127.0.0.1'),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  DATABASE_PATH: z.string().min(1).default('./data/newsdesk.db'),
  LOG_LEVEL: z.enum(LOG_LEVELS).default('info'),
  BODY_LIMIT: z.coerce.number().int().min(1024).default(1024 * 1024),
  NEWSDESK_ADMIN_KEY: z
    .string()
    .min(24, 'must be at least 24 characters: it is a secret')
    .optional(),
  WORKERS: z.coerce.number().int().min(1).max(64).default(availableParallelism()),
  REQUIRE_IF_MATCH: z.stringbool().default(false),
  TRASH_RETENTION_DAYS: z.coerce.number().int().min(1).max(3650).default(30),
  CHANGES_RETENTION_DAYS: z.coerce.number().int().min(1).max(3650).default(30),
  CACHE_CONTROL_PUBLIC: z
    .string()
    .regex(/^[\x20-\x7e]+$/, 'must be a Cache-Control value (printable ASCII, one line)')
    .default('public, max-age=60, stale-while-revalidate=300'),
  CORS_ORIGINS: z
    .string()
    .default('*')
    .transform((value) => value.split(',').map((origin) => origin.trim()).filter((origin) => origin !== ''))
    .pipe(
      z
        .array(z.union([z.literal('*'), z.string().regex(ORIGIN, 'must be * or an origin such as https://example.com')]))
        .min(1, 'must be * or a comma-separated list of origins'),
    ),
  RATE_LIMIT_MAX: z.coerce.number().int().min(0).max(1_000_000_000).default(600),
  RATE_LIMIT_WINDOW: z
    .string()
    .default('1m')
    .transform((value, ctx) => {
      const match = DURATION.exec(value.trim())
      const seconds = match ? Number(match[1]) * SECONDS_PER_UNIT[match[2]!]! : 0
      if (seconds < 1 || seconds > 86_400) {
        ctx.addIssue({ code: 'custom', message: 'must be a duration from 1s to 24h with its unit, such as 30s, 1m or 1h' })
        return z.NEVER
      }
      return seconds
    }),
  RATE_LIMIT_ANONYMOUS_MAX: z.coerce.number().int().min(1).max(1_000_000_000).optional(),
  TRUST_PROXY: z
    .string()
    .default('false')
    .transform((value, ctx): boolean | string[] => {
      const trimmed = value.trim()
      if (trimmed === 'true' || trimmed === 'false') return trimmed === 'true'
      const entries = trimmed.split(',').map((entry) => entry.trim()).filter((entry) => entry !== '')
      const bad = entries.filter((entry) => !isProxyAddress(entry))
      if (entries.length === 0 || bad.length > 0) {
        ctx.addIssue({
          code: 'custom',
          message: `must be true, false, or comma-separated proxy addresses and CIDR ranges (not: ${bad.join(', ') || value})`,
        })
        return z.NEVER
      }
      return entries
    }),
  WEBHOOK_ALLOW_HOSTS: z
    .string()
    .default('')
    .transform((value, ctx): string[] => {
      const entries = value.split(',').map(normalizeHost).filter((entry) => entry !== '')
      const bad = entries.filter((entry) => isIP(entry) === 0 && !HOST_NAME.test(entry))
      if (bad.length > 0) {
        ctx.addIssue({ code: 'custom', message: `must be comma-separated host names or IP addresses (not: ${bad.join(', ')})` })
        return z.NEVER
      }
      return entries
    }),
  WEBHOOK_DISPATCH_INTERVAL_MS: z.coerce.number().int().min(0).max(3_600_000).default(1000),
  WEBHOOK_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(1000).default(30),
  RESPONSE_CACHE_MB: z.coerce.number().min(0).max(4096).default(16),
})

export type Config = {
  host: string
  port: number
  databasePath: string
  logLevel: (typeof LOG_LEVELS)[number]
  bodyLimit: number
  adminKey: string | undefined
  /** Server processes sharing the port and the database (node:cluster); 1 runs in-process. */
  workers: number
  /** A PATCH, DELETE or transition without If-Match is a 428 (off by default, for curl). */
  requireIfMatch: boolean
  /** How long a deleted article can be restored; `cli purge` removes what is older. */
  trashRetentionDays: number
  /** How long change-feed tombstones are kept; older cursors must resync (410). */
  changesRetentionDays: number
  /** Cache-Control for anonymous reads of published content; keyed reads are always private. */
  cacheControlPublic: string
  /** Origins browsers may call from; `['*']` means any. */
  corsOrigins: string[]
  /** Requests per window for each API key without its own limit; 0 turns rate limiting off. */
  rateLimitMax: number
  /** The rate-limit window, in whole seconds (RATE_LIMIT_WINDOW, e.g. `1m`). */
  rateLimitWindowSeconds: number
  /** Requests per window for each client address without a key; undefined: rateLimitMax. */
  rateLimitAnonymousMax: number | undefined
  /**
   * Fastify's trustProxy: whose X-Forwarded-For to believe for the client address. (Fastify 5.12
   * trusts no one for a hop count, since the count cannot check the immediate peer: not offered.)
   */
  trustProxy: boolean | string[]
  /**
   * Webhook target hosts and addresses let through the private-address checks (WEBHOOK_ALLOW_HOSTS,
   * e.g. `127.0.0.1,localhost` for local setups and tests); lower case, without brackets.
   */
  webhookAllowHosts: string[]
  /** How often each process's webhook dispatcher looks for work, in ms; 0 turns its timer off. */
  webhookDispatchIntervalMs: number
  /** Attempts before a webhook delivery is given up as failed (it also stops 24 hours after it was queued). */
  webhookMaxAttempts: number
  /** Bytes of public responses each process keeps to answer again (RESPONSE_CACHE_MB); 0: none. */
  responseCacheBytes: number
}

export class ConfigError extends Error {
  override name = 'ConfigError'
}

/** Parses the environment into a Config, or throws a ConfigError naming every bad variable. */
export function loadConfig(env: Record<string, string | undefined>): Config {
  // An empty variable (FOO=) means "not set", as in most shells' idiom.
  const present = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== ''))
  const result = EnvSchema.safeParse(present)
  if (!result.success) {
    const lines = result.error.issues.map((issue) => `  ${issue.path.join('.')}: ${issue.message}`)
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`)
  }
  const e = result.data
  return {
    host: e.HOST,
    port: e.PORT,
    databasePath: e.DATABASE_PATH,
    logLevel: e.LOG_LEVEL,
    bodyLimit: e.BODY_LIMIT,
    adminKey: e.NEWSDESK_ADMIN_KEY,
    workers: e.WORKERS,
    requireIfMatch: e.REQUIRE_IF_MATCH,
    trashRetentionDays: e.TRASH_RETENTION_DAYS,
    changesRetentionDays: e.CHANGES_RETENTION_DAYS,
    cacheControlPublic: e.CACHE_CONTROL_PUBLIC,
    corsOrigins: e.CORS_ORIGINS,
    rateLimitMax: e.RATE_LIMIT_MAX,
    rateLimitWindowSeconds: e.RATE_LIMIT_WINDOW,
    rateLimitAnonymousMax: e.RATE_LIMIT_ANONYMOUS_MAX,
    trustProxy: e.TRUST_PROXY,
    webhookAllowHosts: e.WEBHOOK_ALLOW_HOSTS,
    webhookDispatchIntervalMs: e.WEBHOOK_DISPATCH_INTERVAL_MS,
    webhookMaxAttempts: e.WEBHOOK_MAX_ATTEMPTS,
    responseCacheBytes: Math.round(e.RESPONSE_CACHE_MB * 1024 * 1024),
  }
}
