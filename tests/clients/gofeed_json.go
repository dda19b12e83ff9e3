// Reads one feed file with gofeed (github.com/mmcdole/gofeed, Debian's
// golang-github-mmcdole-gofeed-dev) and prints what gofeed exposes, as JSON in the
// reader tests' common shape (tests/support/readers.py). Built in GOPATH mode against
// /usr/share/gocode, offline.
package main

import (
	"encoding/json"
	"fmt"
	"os"

	"github.com/mmcdole/gofeed"
)

type item struct {
	Title     string    `json:"title"`
	Content   string    `json:"content"`
	Summary   string    `json:"summary"`
	Authors   *[]string `json:"authors"`
	Links     []string  `json:"links"`
	ID        string    `json:"id"`
	Updated   string    `json:"updated"`
	Published string    `json:"published"`
}

type feed struct {
	Title string `json:"title"`
	Items []item `json:"items"`
}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: gofeed_json FEED_FILE")
		os.Exit(2)
	}
	file, err := os.Open(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	defer file.Close()
	parsed, err := gofeed.NewParser().Parse(file)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	out := feed{Title: parsed.Title, Items: []item{}}
	for _, i := range parsed.Items {
		// Authors: the list; the deprecated single Author only where there is no list.
		authors := []string{}
		for _, person := range i.Authors {
			authors = append(authors, person.Name)
		}
		if len(authors) == 0 && i.Author != nil {
			authors = append(authors, i.Author.Name)
		}
		// Links: Link (the alternate), Links (alternate, self and rel-less ones), then
		// the enclosures: every URL gofeed hands a program for the item.
		links := []string{}
		if i.Link != "" {
			links = append(links, i.Link)
		}
		links = append(links, i.Links...)
		for _, enclosure := range i.Enclosures {
			links = append(links, enclosure.URL)
		}
		out.Items = append(out.Items, item{
			Title: i.Title, Content: i.Content, Summary: i.Description, Authors: &authors,
			Links: links, ID: i.GUID, Updated: i.Updated, Published: i.Published,
		})
	}
	encoder := json.NewEncoder(os.Stdout)
	encoder.SetEscapeHTML(false)
	if err := encoder.Encode(out); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
