import { z } from 'zod'

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const

/** A browser origin: scheme and host (and port), no path, as in the Origin request header. */
const ORIGIN = /^[a-z][a-z\d+.-]*:\/\/[^\s/?#]+$/i

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
  REQUIRE_IF_MATCH: z.stringbool().default(false),
  TRASH_RETENTION_DAYS: z.coerce.number().int().min(1).max(3650).default(30),
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
})

export type Config = {
  host: string
  port: number
  databasePath: string
  logLevel: (typeof LOG_LEVELS)[number]
  bodyLimit: number
  adminKey: string | undefined
  /** A PATCH, DELETE or transition without If-Match is a 428 (off by default, for curl). */
  requireIfMatch: boolean
  /** How long a deleted article can be restored; `cli purge` removes what is older. */
  trashRetentionDays: number
  /** Cache-Control for anonymous reads of published content; keyed reads are always private. */
  cacheControlPublic: string
  /** Origins browsers may call from; `['*']` means any. */
  corsOrigins: string[]
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
    requireIfMatch: e.REQUIRE_IF_MATCH,
    trashRetentionDays: e.TRASH_RETENTION_DAYS,
    cacheControlPublic: e.CACHE_CONTROL_PUBLIC,
    corsOrigins: e.CORS_ORIGINS,
  }
}
