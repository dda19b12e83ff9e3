// Reads one feed file (Atom or RSS, or a JSON Feed when the name ends in .json) with
// @extractus/feed-extractor (npm, 8) and prints what it exposes as JSON in the reader tests'
// common shape (tests/support/readers.py). Modules from NODE_PATH (.cache/npm/node_modules).
//
// Its normalised entry is {id, title, link, published, description}: description is the
// entry's summary, else its content, with every tag stripped; descriptionMaxLen 0 turns off
// its default truncation to 250 characters, as a reader that shows whole entries would.
"use strict";
const fs = require("fs");
const { extractFromJson, extractFromXml } = require("@extractus/feed-extractor");

const path = process.argv[2];
const text = fs.readFileSync(path, "utf8");
const options = { descriptionMaxLen: 0 };
try {
  const feed = path.endsWith(".json") ? extractFromJson(text, options) : extractFromXml(text, options);
  const out = {
    title: feed.title ?? null,
    items: (feed.entries || []).map((entry) => ({
      title: entry.title ?? null,
      content: entry.description ?? null, // the one body it exposes
      summary: null,
      authors: null, // no author model
      links: [entry.link].filter(Boolean),
      id: entry.id ?? null,
      updated: null,
      published: entry.published ?? null, // Atom: updated, else published
    })),
  };
  process.stdout.write(JSON.stringify(out) + "\n");
} catch (error) {
  process.stderr.write(String(error && error.stack || error) + "\n");
  process.exit(1);
}
