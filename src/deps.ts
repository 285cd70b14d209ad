import type { Config } from './config.js'
import type { Db } from './db/client.js'

/** What every module is given at registration: the database, the clock (ms since epoch), the config. */
export type Deps = { db: Db; clock: () => number; config: Config }
