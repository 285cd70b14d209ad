import { z } from 'zod'
import { FieldErrorSchema } from '../../http/schemas.js'

export const EXPORT_FORMATS = ['article', 'ninjs'] as const
export type ExportFormat = (typeof EXPORT_FORMATS)[number]

export const ExportQuerySchema = z.object({
  format: z
    .enum(EXPORT_FORMATS)
    .default('article')
    .describe('article (default): each line as GET /v1/articles/{id} returns it; ninjs: an IPTC ninjs 3.1 document.'),
})

export const ExportLinesSchema = z
  .string()
  .meta({
    id: 'ArticleExport',
    description: 'NDJSON: one article per line, as GET /v1/articles/{id} returns it (or a ninjs document), oldest first.',
  })

export const ImportQuerySchema = z.object({
  createMissing: z.stringbool().default(false).describe('Create the tags and sources lines name that do not exist yet.'),
  atomic: z.stringbool().default(false).describe('All or nothing: the first bad line fails the import and nothing is written.'),
  dryRun: z.stringbool().default(false).describe('Check every line (references, slugs, lifecycle) and write nothing.'),
})
export type ImportQuery = z.infer<typeof ImportQuerySchema>

export const ImportBodySchema = z.unknown().meta({
  description:
    'NDJSON: one article per line, either the create shape (ArticleCreate, plus externalId, any status and withdrawalReason) or a line of GET /v1/export, whose read-only fields are ignored.',
})

export const IMPORT_STATUSES = ['created', 'updated', 'unchanged', 'failed'] as const
export type ImportStatus = (typeof IMPORT_STATUSES)[number]

export const LineProblemSchema = z
  .looseObject({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    errors: z.array(FieldErrorSchema).optional().describe('Pointers are into the line\'s JSON.'),
  })
  .meta({ id: 'ImportLineProblem', description: 'Why a line failed: an RFC 9457 problem, as the API would answer for that article.' })

export const ImportLineResultSchema = z
  .object({
    line: z.number().int().describe('The line number in the input, from 1.'),
    status: z.enum(IMPORT_STATUSES),
    id: z.string().optional().describe('The article (left out for a line that failed, or that a dry run would create).'),
    problem: LineProblemSchema.optional(),
  })
  .meta({ id: 'ImportLineResult' })
export type ImportLineResult = z.infer<typeof ImportLineResultSchema>

export const ImportSummarySchema = z
  .object({
    lines: z.number().int().describe('Article lines read (blank lines are skipped).'),
    created: z.number().int(),
    updated: z.number().int(),
    unchanged: z.number().int(),
    failed: z.number().int(),
  })
  .meta({ id: 'ImportSummary' })
export type ImportSummary = z.infer<typeof ImportSummarySchema>

export const ImportReportSchema = z
  .object({ summary: ImportSummarySchema, results: z.array(ImportLineResultSchema).describe('One per line, in order.') })
  .meta({ id: 'ImportReport' })
export type ImportReport = z.infer<typeof ImportReportSchema>
