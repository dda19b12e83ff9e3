// Reads one feed file with rss-parser (npm, 3.13) and prints what it exposes as JSON in the
// reader tests' common shape (tests/support/readers.py). Modules from NODE_PATH
// (.cache/npm/node_modules, installed by `make test`).
"use strict";
const fs = require("fs");
const Parser = require("rss-parser");

async function main(path) {
  const feed = await new Parser().parseString(fs.readFileSync(path, "utf8"));
  return {
    title: feed.title ?? null,
    items: (feed.items || []).map((item) => ({
      title: item.title ?? null,
      content: item.content ?? null,
      // rss-parser's summary for Atom; contentSnippet is the content with its tags stripped
      summary: item.summary ?? null,
      content_snippet: item.contentSnippet ?? null,
      // one author: rss-parser keeps the first atom:author (RSS: dc:creator or author)
      authors: item.author === undefined ? [] : [item.author],
      links: [item.link, item.enclosure && item.enclosure.url].filter(Boolean),
      id: item.id ?? item.guid ?? null,
      updated: null, // rss-parser has no updated: its pubDate is published, else updated
      published: item.isoDate ?? item.pubDate ?? null,
    })),
  };
}

main(process.argv[2]).then(
  (out) => process.stdout.write(JSON.stringify(out) + "\n"),
  (error) => { process.stderr.write(String(error && error.stack || error) + "\n"); process.exit(1); },
);
