import slugify from '@sindresorhus/slugify'

const MAX_BASE_LENGTH = 80

/**
 * A URL-safe slug from a headline or name: lower-case ASCII, transliterated from any script the
 * slugify library knows (Cyrillic, Arabic, Greek, accented Latin...). Text with nothing it can
 * transliterate (CJK, emoji only) falls back to `fallback`.
 */
export function slugFrom(text: string, fallback: string): string {
  const slug = slugify(text, { decamelize: false })
  if (slug === '') return fallback
  if (slug.length <= MAX_BASE_LENGTH) return slug
  const cut = slug.slice(0, MAX_BASE_LENGTH)
  const lastHyphen = cut.lastIndexOf('-')
  return lastHyphen > 20 ? cut.slice(0, lastHyphen) : cut.replace(/-+$/, '')
}

/** `base`, or `base-2`, `base-3`, ... whichever is free first. */
export function uniqueSlug(base: string, isTaken: (slug: string) => boolean): string {
  if (!isTaken(base)) return base
  for (let n = 2; ; n++) {
    const candidate = `${base}-${n}`
    if (!isTaken(candidate)) return candidate
  }
}
