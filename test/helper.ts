import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Test } from 'tap'
import { buildApp } from '../src/app.js'
import { loadConfig, type Config } from '../src/config.js'
import { openDatabase, type Db } from '../src/db/client.js'
import { createKeysService } from '../src/modules/keys/keys.service.js'

export type TestClock = { now: number; (): number }

/** A clock tests can move: `clock.now = Date.parse(...)`. */
export function testClock(start = Date.parse('2026-01-15T12:00:00.000Z')): TestClock {
  const clock = (() => clock.now) as TestClock
  clock.now = start
  return clock
}

/**
 * The real app on a fresh, migrated SQLite file in the test's own directory, closed on
 * teardown, with one key of each scope ready to use as request headers.
 */
export async function build(t: Test, overrides: { config?: Partial<Config>; clock?: TestClock } = {}) {
  const dir = t.testdir()
  const config: Config = { ...loadConfig({}), databasePath: join(dir, 'newsdesk.db'), ...overrides.config }
  const clock = overrides.clock ?? testClock()
  const db: Db = openDatabase(config.databasePath)
  const app = await buildApp({ config, db, clock, logger: false })
  t.teardown(async () => {
    await app.close()
    db.$client.close()
  })
  const keys = createKeysService(db, clock)
  const bearer = (scope: 'read' | 'write' | 'admin') => ({
    authorization: `Bearer ${keys.create(`test ${scope}`, scope).key}`,
  })
  return { app, db, clock, keys, config, auth: { read: bearer('read'), write: bearer('write'), admin: bearer('admin') } }
}

export type Harness = Awaited<ReturnType<typeof build>>

/** The real scraped article, with its curly quotes and non-breaking spaces. */
export const seedArticleText = readFileSync(new URL('../../shared/fixtures/seed-article.txt', import.meta.url), 'utf8')

/**
 * The real app on an in-memory database with a write key, for property tests that build one per
 * generated case (a file each would be slow); `call` sends a keyed request. Close it when done.
 */
export async function memoryApp(clock: TestClock) {
  const db = openDatabase(':memory:')
  const app = await buildApp({ config: { ...loadConfig({}), databasePath: ':memory:' }, db, clock, logger: false })
  const headers = { authorization: `Bearer ${createKeysService(db, clock).create('prop', 'write').key}` }
  const call = (method: 'POST' | 'PATCH' | 'DELETE', url: string, payload?: object) =>
    app.inject({ method, url, headers, ...(payload ? { payload } : {}) })
  const close = async () => {
    await app.close()
    db.$client.close()
  }
  return { app, db, call, close, headers }
}
