import t from 'tap'
import { DomUtils, parseDocument } from 'htmlparser2'
import { build, seedArticleText, type Harness } from './helper.js'
import { createArticle, seedArticleParts } from './factories.js'

const elements = (html: string) => DomUtils.findAll(() => true, parseDocument(html).children)
const texts = (html: string, tag: string) =>
  elements(html.replaceAll('<br>', '\n'))
    .filter((el) => el.name === tag)
    .map((el) => DomUtils.textContent(el))
const count = (haystack: string, needle: string) => haystack.split(needle).length - 1

t.test('the seed body as text (the default): one <p> per paragraph, Unicode intact, body and bodyText verbatim', async (t) => {
  const h = await build(t)
  const { body } = seedArticleParts()
  const paragraphs = body.split('\n\n')
  t.ok(paragraphs.length > 10, 'the fixture has many paragraphs')
  const article = await createArticle(h, { body })
  t.equal(article.bodyFormat, 'text')
  t.equal(count(article.bodyHtml, '<p>'), paragraphs.length, 'one <p> per paragraph')
  t.equal(count(article.bodyHtml, '</p>'), paragraphs.length)
  t.same(texts(article.bodyHtml, 'p'), paragraphs, 'each <p> holds its paragraph, in order')
  for (const quote of ['\u2019', '\u201c', '\u201d']) {
    t.ok(count(body, quote) > 0, `the fixture has U+${quote.codePointAt(0)!.toString(16).toUpperCase()}`)
    t.equal(count(article.bodyHtml, quote), count(body, quote), 'the quote is kept as a character, not an entity')
  }
  const got = (await h.app.inject({ method: 'GET', url: `/v1/articles/${article.id}`, headers: h.auth.write })).json()
  t.equal(Buffer.compare(Buffer.from(got.body), Buffer.from(body)), 0, 'body is byte-identical')
  t.equal(Buffer.compare(Buffer.from(got.bodyText), Buffer.from(body)), 0, 'bodyText is byte-identical')
  t.equal(got.bodyHtml, article.bodyHtml)
})

t.test('the whole fixture as text: non-breaking spaces survive, a line of only NBSP is blank', async (t) => {
  const h = await build(t)
  const paragraphs: string[][] = [[]]
  for (const line of seedArticleText.split('\n')) {
    if (/^\s*$/.test(line)) paragraphs.push([])
    else paragraphs.at(-1)!.push(line)
  }
  const expected = paragraphs.filter((lines) => lines.length > 0).map((lines) => lines.join('\n'))
  t.ok(seedArticleText.includes('\n\u00a0\n'), 'the fixture has a line of only a non-breaking space')
  const article = await createArticle(h, { body: seedArticleText, bodyFormat: 'text' })
  t.same(texts(article.bodyHtml, 'p'), expected)
  t.ok(article.bodyHtml.includes('<p>Follow us on:\u00a0 \u00a0</p>'), 'NBSPs at the end of a paragraph are kept')
  t.notOk(/<p>\s*<\/p>/.test(article.bodyHtml), 'no empty paragraph')
  t.equal(article.body, seedArticleText)
  t.equal(article.bodyText, seedArticleText)
})

t.test('text: CRLF and CR line endings and whitespace-only lines separate paragraphs', async (t) => {
  const h = await build(t)
  const body = 'One\r\n\r\nTwo\r\nstill two\r\n \u00a0\t\r\nThree\r\rFour\n\u2003\nFive\n\n\n\nSix'
  const article = await createArticle(h, { body })
  t.equal(article.bodyHtml, '<p>One</p>\n<p>Two<br>still two</p>\n<p>Three</p>\n<p>Four</p>\n<p>Five</p>\n<p>Six</p>')
  t.equal(article.body, body)
  t.equal(article.bodyText, body)
  const edges = await createArticle(h, { body: '\u00a0\n  Lead paragraph.  \n\n\u00a0Indented.\n\u00a0' })
  t.equal(edges.bodyHtml, '<p>Lead paragraph.</p>\n<p>\u00a0Indented.</p>', 'blank first and last lines are dropped')
})

t.test('text: <, >, & and quotes are escaped, so markup in a text body is shown, not run', async (t) => {
  const h = await build(t)
  const body = 'Fish & chips <b>not bold</b> "a" \'b\'\n\n<script>alert(1)</script>'
  const article = await createArticle(h, { body })
  t.equal(
    article.bodyHtml,
    '<p>Fish &amp; chips &lt;b&gt;not bold&lt;/b&gt; &quot;a&quot; &#39;b&#39;</p>\n<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>',
  )
  t.equal(article.body, body)
})

t.test('markdown renders headings, emphasis, lists and links', async (t) => {
  const h = await build(t)
  const body = '# Big news\n\n## Details\n\nSome *emphasis* and **strong** words.\n\n- one\n- two\n\n1. first\n2. second\n\n[A link](https://example.com/story) and <https://example.org/auto>'
  const article = await createArticle(h, { body, bodyFormat: 'markdown' })
  const html: string = article.bodyHtml
  t.match(html, '<h1>Big news</h1>')
  t.match(html, '<h2>Details</h2>')
  t.match(html, '<em>emphasis</em>')
  t.match(html, '<strong>strong</strong>')
  t.match(html, /<ul>\s*<li>one<\/li>\s*<li>two<\/li>\s*<\/ul>/)
  t.match(html, /<ol>\s*<li>first<\/li>\s*<li>second<\/li>\s*<\/ol>/)
  t.match(html, '<a href="https://example.com/story">A link</a>')
  t.match(html, '<a href="https://example.org/auto">https://example.org/auto</a>')
  t.equal(article.body, body)
})

t.test('html keeps the allowed structure as it is', async (t) => {
  const h = await build(t)
  const body =
    '<h2>Title</h2><p>A <strong>b</strong> <em>c</em> <a href="https://example.com/x?y=1#z" title="t">link</a>, ' +
    '<a href="mailto:desk@example.com">mail</a>, <a href="/v1/tags/syria">relative</a>, <a href="#top">top</a>.</p>' +
    '<blockquote><p lang="ar" dir="rtl">quote</p></blockquote><ul><li>one</li></ul>' +
    '<table><thead><tr><th>h</th></tr></thead><tbody><tr><td>d</td></tr></tbody></table>' +
    '<figure><picture><source srcset="https://example.com/a.webp 1x, https://example.com/b.webp 2x" type="image/webp" />' +
    '<img src="https://example.com/a.jpg" alt="A picture" width="640" height="480" /></picture>' +
    '<figcaption>Caption</figcaption></figure>'
  const article = await createArticle(h, { body, bodyFormat: 'html' })
  t.equal(article.bodyHtml, body, 'allowed tags, attributes and URLs pass unchanged')
  t.notOk(article.bodyHtml.includes('</source>'), '<source> is a void element')
  const stripped = await createArticle(h, {
    body: '<p class="x" id="y" style="color:red">Hi</p><div onclick="x()">there</div>',
    bodyFormat: 'html',
  })
  t.equal(stripped.bodyHtml, '<p>Hi</p><div>there</div>', 'other attributes are dropped, the content stays')
})

t.test('bodyText of markdown and html is plain text, and the word count and reading time come from it', async (t) => {
  const h = await build(t)
  const md = await createArticle(h, {
    body: '# The heading\n\nSome *emphasis* and **strong** text with [a link](https://example.com/path).\n\n- first item\n- second item\n',
    bodyFormat: 'markdown',
  })
  t.notMatch(md.bodyText, /<[a-z/!]|\*\w|\w\*|\]\(|^#/im, 'no tags or markdown syntax (list bullets are fine)')
  t.match(md.bodyText, /The heading\s+Some emphasis and strong text with a link\.\s+.*first item\s+.*second item/s)
  t.equal(md.wordCount, 14, 'the URL is not counted')

  const html = await createArticle(h, {
    body: '<h2>Vote &amp; count</h2><p>First paragraph.</p><p>Second <em>and</em> last.</p>',
    bodyFormat: 'html',
  })
  t.notMatch(html.bodyText, /<|&amp;/)
  t.match(html.bodyText, /^Vote & count\s+First paragraph\.\s+Second and last\.$/)
  t.equal(html.wordCount, 7)

  const words = Array.from({ length: 690 }, (_, i) => `<a href="https://example.com/a/b/c/d/e/${i}">word</a>`)
  const long = await createArticle(h, { body: `<p>${words.join(' ')}</p>`, bodyFormat: 'html' })
  t.equal(long.wordCount, 690)
  t.equal(long.readingTimeMinutes, 3, '690 words at 230 a minute')
})

t.test('changing bodyFormat alone re-renders, recounts and bumps the version', async (t) => {
  const h = await build(t)
  const body = '# Title\n\n[link](https://example.com/a/b)'
  const created = await createArticle(h, { body })
  t.equal(created.bodyHtml, '<p># Title</p>\n<p>[link](https://example.com/a/b)</p>')
  const res = await h.app.inject({
    method: 'PATCH',
    url: `/v1/articles/${created.id}`,
    headers: { ...h.auth.write, 'if-match': '"v1"' },
    payload: { bodyFormat: 'markdown' },
  })
  t.equal(res.statusCode, 200)
  t.equal(res.headers.etag, '"v2"')
  const patched = res.json()
  t.equal(patched.version, created.version + 1)
  t.equal(patched.bodyFormat, 'markdown')
  t.equal(patched.body, body, 'the body is untouched')
  t.match(patched.bodyHtml, /^<h1>Title<\/h1>\s*<p><a href="https:\/\/example\.com\/a\/b">link<\/a><\/p>\s*$/)
  t.match(patched.bodyText, /^Title\s+link$/)
  t.equal(patched.wordCount, 2, 'recounted from the new bodyText')
  t.ok(created.wordCount > 2)
  const got = (await h.app.inject({ method: 'GET', url: `/v1/articles/${created.id}`, headers: h.auth.write })).json()
  t.same(
    [got.bodyHtml, got.bodyText, got.wordCount, got.version],
    [patched.bodyHtml, patched.bodyText, patched.wordCount, 2],
    'persisted',
  )
})

// A catalogue of XSS payloads, mostly from the OWASP XSS filter evasion cheat sheet, each run as html and as markdown.
const XSS_PAYLOADS = [
  '<script>alert(1)</script>',
  '<SCRIPT SRC=https://xss.example/xss.js></SCRIPT>',
  '<scr<script>ipt>alert(1)</scr</script>ipt>',
  '<<script>script>alert(1)//<</script>/script>',
  '<img src=x onerror=alert(1)>',
  '<IMG SRC="javascript:alert(1);">',
  '<img src=JaVaScRiPt:alert(1)>',
  '<IMG SRC=`javascript:alert(1)`>',
  '<img src="jav&#x09;ascript:alert(1);">',
  '<img src=" &#14;  javascript:alert(1);">',
  '<img src=&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;&#97;&#108;&#101;&#114;&#116;&#40;&#49;&#41;>',
  '<img src=&#x6A&#x61&#x76&#x61&#x73&#x63&#x72&#x69&#x70&#x74&#x3A&#x61&#x6C&#x65&#x72&#x74&#x28&#x31&#x29>',
  '<img """><script>alert(1)</script>">',
  '<img srcset="https://ok.example/a.png 1x, javascript:alert(1) 2x">',
  '<picture><source srcset="javascript:alert(1)"><img src="https://ok.example/a.png"></picture>',
  '<svg onload=alert(1)>',
  '<svg><script>alert(1)</script></svg>',
  '<svg><a xlink:href="javascript:alert(1)"><text x="20" y="20">x</text></a></svg>',
  '<svg><animate onbegin=alert(1) attributeName=x dur=1s>',
  '<math><mtext><table><mglyph><style><img src=x onerror=alert(1)></style></mglyph></table></mtext></math>',
  '<math href="javascript:alert(1)">x</math>',
  '<a href="javascript:alert(1)">x</a>',
  '<a href="JaVaScRiPt:alert(1)">x</a>',
  '<a href="jav&#x09;ascript:alert(1)">x</a>',
  '<a href="java\tscript:alert(1)">x</a>',
  '<a href="\u0001javascript:alert(1)">x</a>',
  '<a href="java&#0;script:alert(1)">x</a>',
  '<a href=javascript&colon;alert(1)>x</a>',
  '<a href="vbscript:msgbox(1)">x</a>',
  '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">x</a>',
  '<a href="#" onclick="alert(1)" style="color:red">x</a>',
  '<a/href="javascript:alert(1)">x</a>',
  '<div/onmouseover=alert(1)>x</div>',
  '<iframe src="javascript:alert(1)"></iframe>',
  '<iframe srcdoc="<script>alert(1)</script>"></iframe>',
  '<object data="javascript:alert(1)"></object>',
  '<embed src="data:image/svg+xml;base64,PHN2Zz48c2NyaXB0PmFsZXJ0KDEpPC9zY3JpcHQ+PC9zdmc+">',
  '<style>body{background:url("javascript:alert(1)")}</style>',
  '<div style="width: expression(alert(1));">x</div>',
  '<body onload=alert(1)>',
  '<meta http-equiv="refresh" content="0;url=javascript:alert(1);">',
  '<base href="javascript:alert(1)//">',
  '<link rel="stylesheet" href="javascript:alert(1)">',
  '<form action="javascript:alert(1)"><button formaction="javascript:alert(1)">x</button></form>',
  '<input autofocus onfocus=alert(1)>',
  '<details open ontoggle=alert(1)>',
  '<video><source onerror="alert(1)"></video>',
  '<table background="javascript:alert(1)"><tr><td>x</td></tr></table>',
  '<noscript><p title="</noscript><img src=x onerror=alert(1)>">',
  '<!--<img src="--><img src=x onerror=alert(1)//">',
  '<textarea><script>alert(1)</script></textarea>',
  '<template><script>alert(1)</script></template>',
  '[x](javascript:alert(1))',
  '[x](<javascript:alert(1)>)',
  '[x](JAVASCRIPT:alert(1))',
  '[x](javascript&#58;alert(1))',
  '[x](vbscript:msgbox(1))',
  '[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)',
  '![x](data:image/png;base64,iVBORw0KGgo=)',
  '![x](x" onerror="alert(1))',
  '[x]: javascript:alert(1)\n\n[a link][x]',
  '<javascript:alert(1)>',
  '<data:text/html,<script>alert(1)</script>>',
  'www.example.com/<script>alert(1)</script>',
  '# Title <img src=x onerror=alert(1)>\n\n*em* <script>alert(1)</script>',
  '- item <a href="javascript:alert(1)">x</a>\n- <svg onload=alert(1)>',
  '<div>\n\n[x](javascript:alert(1))\n\n</div>',
  '[<img src=x onerror=alert(1)>](https://ok.example/)',
]

const FORBIDDEN_TAG = /<\/?(?:script|iframe|object|embed|style|meta|form|input|button|base|link|svg|math|frame|frameset|applet|template|textarea|noscript)\b/i
const URL_ATTRIBUTES = ['href', 'src', 'srcset', 'action', 'formaction', 'xlink:href', 'poster', 'background', 'data', 'cite']

/** Every way a payload could still run in a reader's browser; empty means safe. */
function dangers(html: string): string[] {
  const found: string[] = []
  if (/<script/i.test(html)) found.push('<script')
  const tag = FORBIDDEN_TAG.exec(html)
  if (tag) found.push(`tag ${tag[0]}`)
  for (const el of elements(html)) {
    if (FORBIDDEN_TAG.test(`<${el.name}>`)) found.push(`element ${el.name}`)
    for (const [name, value] of Object.entries(el.attribs)) {
      if (/^on/i.test(name) || ['style', 'srcdoc'].includes(name)) found.push(`${el.name}[${name}]`)
      if (!URL_ATTRIBUTES.includes(name)) continue
      const urls = name === 'srcset' ? value.split(',').map((c) => c.trim().split(/\s+/)[0] ?? '') : [value]
      for (const raw of urls) {
        // What a browser's URL parser sees: tabs and newlines removed, controls and spaces trimmed.
        const url = raw.replace(/[\t\n\r]/g, '').replace(/^[\u0000-\u0020]+|[\u0000-\u0020]+$/g, '').toLowerCase()
        if (/(?:javascript|vbscript|data):/.test(url)) found.push(`${el.name}[${name}]=${raw}`)
        else if (!/^(?:https?|mailto):/.test(url) && /^[^/?#]*:/.test(url)) found.push(`scheme ${el.name}[${name}]=${raw}`)
      }
    }
  }
  return found
}

t.test('the danger check itself catches what it looks for', async (t) => {
  t.same(dangers('<p><a href="https://ok.example/">ok</a> <img src="/a.png" alt=""></p>'), [])
  t.ok(dangers('<img src=x onerror=alert(1)>').length > 0)
  t.ok(dangers('<a href="jav&#x09;ascript:alert(1)">x</a>').length > 0)
  t.ok(dangers('<img srcset="https://a/b.png 1x, JAVASCRIPT:alert(1) 2x">').length > 0)
  t.ok(dangers('<a href="`javascript:alert(1)`">x</a>').length > 0)
  t.ok(dangers('<SVG><p style="x">').length > 0)
})

for (const bodyFormat of ['html', 'markdown'] as const) {
  t.test(`XSS catalogue as ${bodyFormat}: nothing executable survives, body is kept verbatim`, async (t) => {
    t.ok(XSS_PAYLOADS.length >= 25)
    const h: Harness = await build(t)
    for (const body of XSS_PAYLOADS) {
      const article = await createArticle(h, { body, bodyFormat })
      t.same(dangers(article.bodyHtml), [], `${JSON.stringify(body)} -> ${JSON.stringify(article.bodyHtml)}`)
      t.equal(article.body, body, 'body verbatim')
    }
  })
}
