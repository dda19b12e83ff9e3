// Reads one feed file (Atom, RSS, RDF or JSON Feed, detected by feedsmith) with feedsmith
// (npm, 3) and prints what it exposes as JSON in the reader tests' common shape
// (tests/support/readers.py). Modules from NODE_PATH (.cache/npm/node_modules).
"use strict";
const fs = require("fs");
const { parseFeed } = require("feedsmith");

function text(value) {
  if (value === undefined || value === null) return null;
  if (typeof value === "string") return value;
  if (typeof value === "object" && "value" in value) return value.value; // a typed text construct
  return JSON.stringify(value);
}

function atomItem(entry) {
  return {
    title: text(entry.title),
    content: text(entry.content),
    summary: text(entry.summary),
    authors: (entry.authors || []).map((person) => person.name),
    links: (entry.links || []).map((link) => link.href),
    link_details: (entry.links || []).map(({ href, rel, type, title }) => ({ href, rel, type, title })),
    id: entry.id ?? null,
    updated: entry.updated ?? null,
    published: entry.published ?? null,
  };
}

function rssItem(item) {
  return {
    title: text(item.title),
    content: text(item.content && item.content.encoded) ?? text(item.description),
    summary: text(item.description),
    authors: [...(item.authors || []), ...((item.dc && item.dc.creators) || [])].map((a) => (typeof a === "string" ? a : a.name)),
    links: [item.link, ...((item.enclosures || []).map((e) => e.url))].filter(Boolean),
    id: (item.guid && (item.guid.value ?? item.guid)) ?? null,
    updated: null,
    published: item.pubDate ?? null,
  };
}

function jsonItem(item) {
  return {
    title: item.title ?? null,
    content: item.content_html ?? item.content_text ?? null,
    summary: item.summary ?? null,
    authors: (item.authors || []).map((author) => author.name),
    links: [item.url, item.external_url, ...((item.attachments || []).map((a) => a.url))].filter(Boolean),
    link_details: (item.attachments || []).map(({ url, mime_type, title }) => ({ href: url, rel: "attachment", type: mime_type, title })),
    id: item.id ?? null,
    updated: item.date_modified ?? null,
    published: item.date_published ?? null,
  };
}

try {
  const { format, feed } = parseFeed(fs.readFileSync(process.argv[2], "utf8"));
  const items = format === "atom" ? (feed.entries || []).map(atomItem)
    : format === "json" ? (feed.items || []).map(jsonItem)
    : (feed.items || []).map(rssItem);
  process.stdout.write(JSON.stringify({ format, title: text(feed.title), items }) + "\n");
} catch (error) {
  process.stderr.write(String(error && error.stack || error) + "\n");
  process.exit(1);
}
