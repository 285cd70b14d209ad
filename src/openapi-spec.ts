import { buildApp } from './app.js'
import { loadConfig } from './config.js'
import { openDatabase } from './db/client.js'

/** The OpenAPI document as committed in openapi/openapi.json: built from the routes, on an empty in-memory database. */
export async function renderOpenApi(): Promise<string> {
  const db = openDatabase(':memory:')
  const app = await buildApp({ config: loadConfig({}), db, logger: false })
  try {
    await app.ready()
    return JSON.stringify(app.swagger(), null, 2) + '\n'
  } finally {
    await app.close()
    db.$client.close()
  }
}
