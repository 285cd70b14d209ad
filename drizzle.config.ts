import { defineConfig } from 'drizzle-kit'

export default defineConfig({
  dialect: 'sqlite',
  schema: './src/db/schema.ts',
  out: './migrations',
  // FTS5 shadow tables come from hand-written migrations; never let drizzle-kit touch them.
  tablesFilter: ['!*_fts*'],
})
