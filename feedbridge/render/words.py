"""feedbridge's own words on its pages and in its feeds, in the reader's language.

A reader chose a feed because they prefer its language, so the labels around the
papers (headings, link texts, the provenance line, the status lines) are in the feed's
target language where feedbridge has them, in English otherwise. arXiv's text and the
translations are never touched here. Two sentences stay in English in every language:
arXiv asks for its acknowledgement in those words (ARXIV_THANKS), and a licence's
credit is the licensor's.

To add a language: one ``Words`` in WORDS, every field filled (a test checks that each
language's placeholders are English's; a language's own name may stand for {language}).
"""

from __future__ import annotations

from dataclasses import dataclass

from feedbridge.model import FeedStatus

# arXiv's terms for its interfaces ask sites built on them for this sentence, verbatim.
ARXIV_THANKS = "Thank you to arXiv for use of its open access interoperability."


@dataclass(frozen=True)
class Words:
    lang: str  # BCP 47
    # the paper, in a feed and on a page
    comments: str
    abstract_page: str
    pdf: str
    html_version: str
    code: str
    doi: str
    journal_ref: str
    licence: str
    untranslated: str
    recovered: str
    provenance: str  # {engine} {translator}
    machine_translation: str
    announced: str  # {day}
    updated: str  # {day}
    announce_types: dict[str, str]  # arXiv's announce types, in words
    # a feed
    feed_title: str  # {label}, {language}
    feed_subtitle: str  # {label}, {language}, {engine}
    metadata_rights: str
    not_affiliated: str
    # the site
    site_title: str
    site_intro: str  # {engines}
    subscribe_all: str
    subscribe_atom: str
    subscribe_json: str
    all_feeds: str
    latest_day: str  # a day page's link to the feed's main page
    announcement_days: str  # the list of a feed's days
    day_papers: str  # {day}
    newer_day: str  # {day}
    older_day: str  # {day}
    no_papers: str
    papers: str  # {count}
    last_announcement: str  # {day}
    lacking: str  # {what}
    lacking_names: dict[str, str]
    statuses: dict[FeedStatus, str]
    gaps: dict[str, str]  # a missed announcement by state ("open", "recovered", "not recoverable"): {source} {day} {papers}
    last_success: str  # {time}
    never: str
    status_feed: str
    footer: str  # {engines}
    made_with: str  # {version}


ENGLISH = Words(
    lang="en",
    comments="Comments: ",
    abstract_page="arXiv abstract page",
    pdf="PDF",
    html_version="HTML version",
    code="Code",
    doi="DOI: ",
    journal_ref="Journal ref: ",
    licence="Licence: ",
    untranslated="[untranslated]",
    recovered="Recovered from the arXiv API: arXiv's feed no longer carried this announcement when it was built",
    provenance="Machine translation by {engine}, model {translator}",
    machine_translation="Machine translation: ",
    announced="announced {day}",
    updated="updated {day}",
    announce_types={"new": "new", "cross": "cross-list", "replace": "replacement",
                    "replace-cross": "replacement of a cross-list"},
    feed_title="{label}: new arXiv papers in {language} (feedbridge)",
    feed_subtitle=("New arXiv {label} papers, titles and abstracts machine-translated offline into {language}"
                   " with {engine}, followed by the originals."),
    metadata_rights="Titles, abstracts and author names: arXiv metadata, CC0 1.0.",
    not_affiliated="feedbridge is not affiliated with arXiv.",
    site_title="feedbridge: new arXiv papers, machine-translated",
    site_intro=("New arXiv papers, titles and abstracts machine-translated offline with {engines}, each sentence"
                " next to its original. Subscribe to a feed in any feed reader, or to all of them at once with"
                " the OPML file."),
    subscribe_all="Subscribe to every feed (OPML)",
    subscribe_atom="Subscribe (Atom)",
    subscribe_json="JSON Feed",
    all_feeds="← All feeds",
    latest_day="← This feed's latest papers",
    announcement_days="Announcement days:",
    day_papers="Papers announced {day}",
    newer_day="← Newer: {day}",
    older_day="Older: {day} →",
    no_papers="No papers yet.",
    papers="{count} papers",
    last_announcement="last announcement {day}",
    lacking="arXiv's feed came without {what}: its format may have changed",
    lacking_names={"authors": "authors", "arxiv-fields": "arXiv's own fields (announce type, DOI, journal reference)"},
    statuses={
        FeedStatus.UPDATED: "Updated",
        FeedStatus.EMPTY: "No new papers this run (arXiv announced nothing); the last papers stay",
        FeedStatus.STALE: "arXiv sent the previous batch again; the last papers stay",
        FeedStatus.CURRENT: "Up to date: arXiv's latest announcement is published",
        FeedStatus.FAILED: "Not updated this run (an error); the last published papers stay",
        FeedStatus.PARTIAL: "Updated from some of its categories; another could not be read",
        FeedStatus.SKIPPED: "Not rebuilt this run",
    },
    gaps={"open": "{source} {day}: missed, not recovered yet",
          "recovered": "{source} {day}: missed, recovered from the arXiv API ({papers} papers)",
          "not recoverable": "{source} {day}: missed, not recoverable"},
    last_success="Last successful run: {time}",
    never="none yet",
    status_feed="Status feed (missed announcements, failures)",
    footer=("Machine translations made offline with {engines}; they can be wrong — the original is always"
            " beside them."),
    made_with="Made with feedbridge {version}.",
)

JAPANESE = Words(
    lang="ja",
    comments="コメント: ",
    abstract_page="arXiv の論文ページ",
    pdf="PDF",
    html_version="HTML 版",
    code="コード",
    doi="DOI: ",
    journal_ref="掲載誌: ",
    licence="ライセンス: ",
    untranslated="［未翻訳］",
    recovered="arXiv API から復元: 作成時、arXiv のフィードにはこの告知がもう含まれていませんでした",
    provenance="{engine}（モデル {translator}）による機械翻訳",
    machine_translation="機械翻訳: ",
    announced="{day} 告知",
    updated="{day} 更新",
    announce_types={"new": "新規", "cross": "クロスリスト", "replace": "改訂版", "replace-cross": "クロスリストの改訂版"},
    feed_title="{label}: arXiv 新着論文の日本語訳 (feedbridge)",
    feed_subtitle="arXiv {label} の新着論文。タイトルと要旨を {engine} でオフライン機械翻訳し、原文を併記。",
    metadata_rights="タイトル・要旨・著者名: arXiv のメタデータ（CC0 1.0）。",
    not_affiliated="feedbridge は arXiv とは無関係です。",
    site_title="feedbridge: arXiv 新着論文の機械翻訳",
    site_intro=("arXiv の新着論文のタイトルと要旨を {engines} でオフライン機械翻訳し、各文の下に原文を併記しています。"
                "フィードリーダーで各フィードを購読するか、OPML ファイルですべてを一度に購読できます。"),
    subscribe_all="すべてのフィードを購読 (OPML)",
    subscribe_atom="購読 (Atom)",
    subscribe_json="JSON Feed",
    all_feeds="← すべてのフィード",
    latest_day="← このフィードの最新の論文",
    announcement_days="告知日:",
    day_papers="{day} に告知された論文",
    newer_day="← 新しい日: {day}",
    older_day="古い日: {day} →",
    no_papers="まだ論文はありません。",
    papers="論文 {count} 件",
    last_announcement="最新の告知 {day}",
    lacking="arXiv のフィードに{what}がありませんでした。形式が変わった可能性があります",
    lacking_names={"authors": "著者", "arxiv-fields": "arXiv 独自の項目（告知の種類、DOI、掲載誌）"},
    statuses={
        FeedStatus.UPDATED: "更新しました",
        FeedStatus.EMPTY: "今回は新しい論文がありません（arXiv の告知なし）。前回までの論文を掲載しています",
        FeedStatus.STALE: "arXiv が前回と同じ告知を送ってきました。前回までの論文を掲載しています",
        FeedStatus.CURRENT: "最新です: arXiv の最新の告知を掲載しています",
        FeedStatus.FAILED: "今回は更新できませんでした（エラー）。前回までの論文を掲載しています",
        FeedStatus.PARTIAL: "一部のカテゴリーだけ更新しました。読み込めなかったカテゴリーがあります",
        FeedStatus.SKIPPED: "今回は再構築していません",
    },
    gaps={"open": "{source} {day}: 告知を取りこぼしました（まだ復元していません）",
          "recovered": "{source} {day}: 取りこぼした告知を arXiv API から復元しました（論文 {papers} 件）",
          "not recoverable": "{source} {day}: 取りこぼした告知は復元できません"},
    last_success="最後に成功した実行: {time}",
    never="まだありません",
    status_feed="状況フィード（告知の取りこぼし、失敗）",
    footer="機械翻訳は {engines} でオフラインで行っています。誤りがありえるため、常に原文を併記しています。",
    made_with="feedbridge {version} で作成。",
)

WORDS = {words.lang: words for words in (ENGLISH, JAPANESE)}


def words_for(lang: str) -> Words:
    """The words for a language tag ("ja", "ja-JP"); English when feedbridge has none."""
    return WORDS.get(lang.split("-")[0].lower(), ENGLISH)


def site_words(langs: list[str]) -> Words:
    """The words of a page that shows several feeds: their language when they share one."""
    found = {words_for(lang).lang for lang in langs}
    return WORDS[found.pop()] if len(found) == 1 else ENGLISH
