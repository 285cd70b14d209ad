import { existsSync, writeFileSync } from 'node:fs'
import { parseArgs } from 'node:util'
import { loadConfig } from '../config.js'
import { openDatabase } from '../db/client.js'
import { KEY_SCOPES, type KeyScope } from '../db/schema.js'
import { createArticlesService } from '../modules/articles/articles.service.js'
import { importFileCommand } from '../modules/bulk/import-file.js'
import { createChangesService } from '../modules/changes/changes.service.js'
import { createKeysService } from '../modules/keys/keys.service.js'
import { renderOpenApi } from '../openapi-spec.js'

export type Io = { env: Record<string, string | undefined>; out: (line: string) => void; err: (line: string) => void }

export const USAGE = `Usage: npm run cli -- <command>

  keys create --name NAME --scope read|write|admin   make a key (the secret is printed once)
    [--rate-limit N]                                 its own requests per RATE_LIMIT_WINDOW
  keys list                                          list keys (never their secrets)
  keys revoke ID                                     revoke a key at once
  purge [--dry-run]                                  delete for good what has been in the trash
                                                     longer than TRASH_RETENTION_DAYS (default 30),
                                                     and change-feed tombstones older than
                                                     CHANGES_RETENTION_DAYS (default 30)
  openapi [--out FILE]                               print (or write) the OpenAPI document
  import FILE [--create-missing] [--atomic] [--dry-run]
                                                     upsert the articles of an NDJSON file (one
                                                     per line, e.g. from GET /v1/export) by
                                                     externalId or slug, with a progress bar

The database is DATABASE_PATH (default ./data/newsdesk.db).`

class UsageError extends Error {}

function keysCommand(args: string[], io: Io): number {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { name: { type: 'string' }, scope: { type: 'string' }, 'rate-limit': { type: 'string' } },
  })
  const [action, id] = positionals
  const db = openDatabase(loadConfig(io.env).databasePath)
  try {
    const keys = createKeysService(db, Date.now)
    if (action === 'create') {
      const { name, scope } = values
      if (!name?.trim()) throw new UsageError('keys create needs --name NAME')
      if (!KEY_SCOPES.includes(scope as KeyScope)) throw new UsageError(`--scope must be one of ${KEY_SCOPES.join(', ')}`)
      const limit = values['rate-limit']
      if (limit !== undefined && !(/^[1-9]\d*$/.test(limit) && Number(limit) <= 1_000_000_000)) {
        throw new UsageError('--rate-limit must be a whole number of requests per window, from 1 to 1000000000')
      }
      const rateLimitMax = limit === undefined ? null : Number(limit)
      const { key, record } = keys.create(name, scope as KeyScope, { rateLimitMax })
      io.out(`Created key ${record.id} "${record.name}" with scope ${record.scope}. It is shown only this once:`)
      io.out(key)
      return 0
    }
    if (action === 'list') {
      for (const k of keys.list()) {
        const state = k.revokedAt === null ? 'active' : `revoked ${new Date(k.revokedAt).toISOString()}`
        io.out(`${k.id}\t${k.scope}\t${k.prefix}…\t${state}\t${k.name}`)
      }
      return 0
    }
    if (action === 'revoke') {
      if (!id) throw new UsageError('keys revoke needs the key id (see keys list)')
      if (!keys.revoke(id)) {
        io.err(`No active key ${id}.`)
        return 1
      }
      io.out(`Revoked ${id}.`)
      return 0
    }
    throw new UsageError(`unknown keys action "${action ?? ''}"`)
  } finally {
    db.$client.close()
  }
}

function purgeCommand(args: string[], io: Io): number {
  const { values } = parseArgs({ args, options: { 'dry-run': { type: 'boolean', default: false } } })
  const config = loadConfig(io.env)
  const db = openDatabase(config.databasePath)
  try {
    const dryRun = values['dry-run'] === true
    const deps = { db, clock: Date.now, config }
    const purged = createArticlesService(deps).purge(dryRun)
    const tombstones = dryRun ? 0 : createChangesService(deps).prune()
    for (const { id, slug } of purged) io.out(`${dryRun ? 'would purge' : 'purged'}\t${id}\t${slug}`)
    io.out(`${purged.length} article${purged.length === 1 ? '' : 's'} ${dryRun ? 'would be' : ''} purged (older than ${config.trashRetentionDays} days in the trash).`.replace('  ', ' '))
    if (!dryRun) io.out(`${tombstones} change-feed tombstone${tombstones === 1 ? '' : 's'} older than ${config.changesRetentionDays} days removed.`)
    return 0
  } finally {
    db.$client.close()
  }
}

async function importCommand(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      'create-missing': { type: 'boolean', default: false },
      atomic: { type: 'boolean', default: false },
      'dry-run': { type: 'boolean', default: false },
    },
  })
  const [file, extra] = positionals
  if (!file || extra !== undefined) throw new UsageError('import needs exactly one FILE (NDJSON, one article per line)')
  if (!existsSync(file)) throw new UsageError(`import: there is no file "${file}"`)
  const config = loadConfig(io.env)
  const db = openDatabase(config.databasePath)
  try {
    const options = { createMissing: values['create-missing'] === true, atomic: values.atomic === true, dryRun: values['dry-run'] === true }
    return await importFileCommand(db, config, file, options, io)
  } finally {
    db.$client.close()
  }
}

async function openapiCommand(args: string[], io: Io): Promise<number> {
  const { values } = parseArgs({ args, options: { out: { type: 'string' } } })
  const document = await renderOpenApi()
  if (values.out) writeFileSync(values.out, document)
  else io.out(document.trimEnd())
  return 0
}

/** Runs one command; returns the exit code. Errors a user can fix print as one line, not a stack. */
export async function runCli(argv: string[], io: Io): Promise<number> {
  const [command, ...rest] = argv
  try {
    if (command === 'keys') return keysCommand(rest, io)
    if (command === 'purge') return purgeCommand(rest, io)
    if (command === 'openapi') return await openapiCommand(rest, io)
    if (command === 'import') return await importCommand(rest, io)
    if (command === undefined || command === 'help' || command === '--help') {
      io.out(USAGE)
      return command === undefined ? 1 : 0
    }
    throw new UsageError(`unknown command "${command}"`)
  } catch (error) {
    if (error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      io.err(`${(error as Error).message}\n\n${USAGE}`)
      return 2
    }
    if ((error as Error).name === 'ConfigError') {
      io.err((error as Error).message)
      return 2
    }
    throw error
  }
}
