import type { Db } from './db/client.js'

/** What every module is given at registration: the database and the clock (ms since epoch). */
export type Deps = { db: Db; clock: () => number }
