import { z } from 'zod'

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const

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
})

export type Config = {
  host: string
  port: number
  databasePath: string
  logLevel: (typeof LOG_LEVELS)[number]
  bodyLimit: number
  adminKey: string | undefined
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
  }
}
