import cluster from 'node:cluster'
import closeWithGrace from 'close-with-grace'
import { buildApp } from './app.js'
import { ConfigError, loadConfig, type Config } from './config.js'
import { openDatabase } from './db/client.js'
import { createKeysService } from './modules/keys/keys.service.js'

// Process entry. With WORKERS > 1 the primary prepares the database (migrations, first admin
// key) once, then forks workers that share the port and the SQLite file (WAL mode, busy
// timeout); each worker is a full API server.

function configOrExit(): Config {
  try {
    return loadConfig(process.env)
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error
    console.error(error.message)
    process.exit(1)
  }
}

/** Migrations and the first admin key, done once before anything serves. */
function prepareDatabase(config: Config) {
  const db = openDatabase(config.databasePath)
  const firstKey = createKeysService(db, Date.now).ensureAdminKey(config.adminKey)
  if (firstKey) {
    // Printed once, to the terminal only: the hash is all that is stored.
    console.log(
      [
        '',
        'No API keys existed, so an admin key was created. It is shown only this once:',
        '',
        `    ${firstKey.key}`,
        '',
        'Use it as "Authorization: Bearer <key>". Make narrower keys with: npm run cli -- keys create --name NAME --scope write',
        '',
      ].join('\n'),
    )
  }
  return db
}

async function serve(config: Config) {
  const db = openDatabase(config.databasePath)
  const app = await buildApp({ config, db })
  // On SIGTERM/SIGINT: stop accepting, let in-flight requests finish, then close the database.
  closeWithGrace({ delay: 10_000 }, async ({ signal, err }) => {
    if (err) app.log.error({ err }, 'shutting down after an error')
    else app.log.info({ signal }, 'shutting down')
    await app.close()
    db.$client.close()
  })
  await app.listen({ host: config.host, port: config.port })
}

/** Forks the workers and replaces any that die, until told to stop. */
function supervise(config: Config) {
  let stopping = false
  const fork = () => cluster.fork()
  for (let i = 0; i < config.workers; i++) fork()
  cluster.on('exit', (worker, code, signal) => {
    if (stopping) return
    console.error(`worker ${worker.process.pid} exited (${signal ?? code}); starting another`)
    setTimeout(fork, 1000)
  })
  const stop = (signal: NodeJS.Signals) => {
    stopping = true
    for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill(signal)
    // Exit once every worker has drained and closed its database.
    const check = setInterval(() => {
      if (Object.keys(cluster.workers ?? {}).length === 0) {
        clearInterval(check)
        process.exit(0)
      }
    }, 100)
  }
  process.once('SIGTERM', stop)
  process.once('SIGINT', stop)
}

const config = configOrExit()
if (cluster.isPrimary) {
  const db = prepareDatabase(config)
  if (config.workers > 1) {
    db.$client.close()
    supervise(config)
  } else {
    db.$client.close()
    await serve(config)
  }
} else {
  await serve(config)
}
