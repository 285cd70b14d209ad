import closeWithGrace from 'close-with-grace'
import { buildApp } from './app.js'
import { ConfigError, loadConfig } from './config.js'
import { openDatabase } from './db/client.js'
import { createKeysService } from './modules/keys/keys.service.js'

let config
try {
  config = loadConfig(process.env)
} catch (error) {
  if (!(error instanceof ConfigError)) throw error
  console.error(error.message)
  process.exit(1)
}

const db = openDatabase(config.databasePath)
const app = await buildApp({ config, db })

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

// On SIGTERM/SIGINT: stop accepting, let in-flight requests finish, then close the database.
closeWithGrace({ delay: 10_000 }, async ({ signal, err }) => {
  if (err) app.log.error({ err }, 'shutting down after an error')
  else app.log.info({ signal }, 'shutting down')
  await app.close()
  db.$client.close()
})

await app.listen({ host: config.host, port: config.port })
