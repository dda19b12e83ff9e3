"""make bench: feedbridge's translation engine against argostranslate's per-text path.

A script, not a timed test. It builds (once, into .cache/bench/, not committed) a
random-weight model with the shape of argos's en->ja package (Transformer-base, 6+6
layers, d_model 512, 8 heads, FFN 2048, shared 32k SentencePiece vocabulary, int8),
takes the real abstracts of the arXiv fixtures and measures, in one run, on the same
sentences with the same model, beam and decoding cap:

1. argostranslate's own per-text path (``apply_packaged_translation`` with its own
   settings), given feedbridge's sentence splitter so that it runs offline;
2. feedbridge's engine, cold (empty translation memory);
3. raw CTranslate2: the pre-tokenized sentences, one asynchronous call per decoding cap;
4. feedbridge's engine again, the memory warm;
5. feedbridge warm on a bigger run (default 1,000 papers), the memory pre-filled;

each in its own process, reporting wall time, sentences/s, source tokens/s and peak RSS.
Other processes on the machine slow whichever path they meet: every path but the
baseline (minutes long, so it averages them out) is run twice and the faster run counts.

Random weights rarely emit end-of-sentence, so every path decodes exactly the cap
(``min_decoding_length = max_decoding_length``, the engine's rule: 2 x the bucketed
source length + 10): equal output lengths, a fair ratio. For the same reason the
engine's retry pass is off: random weights lose every placeholder, a trained model
few. All paths get the protected sentences the engine sends its model (math and URLs
as placeholders), so they do the same model work.

    python tools/bench.py [--papers 32] [--warm-papers 1000] [--beam 4] [--repeat 2] [--sweep]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tools")]

from feedbridge.sources.arxiv_rss import parse_feed  # noqa: E402
from feedbridge.translate import TranslationStats  # noqa: E402
from feedbridge.translate.argos import ArgosBackend  # noqa: E402
from feedbridge.translate.ct2 import Decoding  # noqa: E402
from feedbridge.translate.engine import translate_papers  # noqa: E402
from feedbridge.translate.memory import TranslationMemory  # noqa: E402
from feedbridge.translate.segment import split_sentences  # noqa: E402

WORKDIR = ROOT / ".cache" / "bench"
# tiny_model.FIXTURES_DIR, not imported: the timed processes load only what they time.
FIXTURES = ROOT / "tests" / "fixtures" / "arxiv"
FIXTURE_FILES = (
    "arxiv_rss2_quant-ph_2025-04-28.xml",
    "arxiv_api_atom_2026_search_all_testing_100entries.xml",
    "arxiv_legacy_rss1.0_rdf_hep-ex_2018-05-23_trimmed3items.xml",
)
PATHS = ("baseline", "cold", "raw", "warm", "warm-big")
RAW_BATCH_TOKENS = 512  # max_batch_size (batch_type="tokens"): as fast as 1024; 2048 is slower


# ---------------------------------------------------------------- inputs


def fixture_papers() -> list:
    papers = {}
    for name in FIXTURE_FILES:
        for paper in parse_feed((FIXTURES / name).read_bytes(), name).papers:
            papers.setdefault(paper.arxiv_id, paper)
    return list(papers.values())


def bench_papers(count: int) -> list:
    """``count`` papers: the fixtures' real ones, then copies whose every sentence is
    made distinct ("Variant 2: ..."), so a bigger run is not served by de-duplication."""
    base = fixture_papers()
    papers = []
    for i in range(count):
        paper, copy = base[i % len(base)], i // len(base)
        if copy:
            paper = replace(
                paper,
                arxiv_id=f"{paper.arxiv_id}-{copy}",
                title=f"Variant {copy}: {paper.title}",
                abstract=" ".join(f"Variant {copy}: {s}" for s in split_sentences(paper.abstract)),
            )
        papers.append(paper)
    return papers


class RecordingTranslator:
    """Stands in for the model to see what the engine would send it; answers each
    sentence with itself, which keeps every placeholder."""

    def __init__(self, real: ArgosBackend):
        self.provenance = real.provenance
        self.decoding = real.decoding
        self.count_tokens = real.count_tokens
        self.sent: list[str] = []

    def translate_batch(self, sentences, *, retry=False, progress=None):
        self.sent += sentences
        return [[s] for s in sentences]


def engine_translator(package, beam: int, **settings) -> ArgosBackend:
    return ArgosBackend(package, beam_size=beam, device="cpu", retry=False, fixed_length=True, **settings)


# ---------------------------------------------------------------- the paths (one per process)


def run_path(name: str, args) -> dict:
    from feedbridge.translate.packages import require_package

    package = require_package("en", "ja")
    work = json.loads((args.workdir / "work.json").read_text(encoding="utf-8"))
    if name == "baseline":
        return baseline(package, work["texts"], args.beam)
    if name == "raw":
        return raw(package, work["sentences"], args.beam)
    papers = bench_papers(args.warm_papers if name == "warm-big" else args.papers)
    settings = json.loads(args.settings) if args.settings else {}
    memory_file = args.workdir / ("memory-big.sqlite3" if name == "warm-big" else "memory.sqlite3")
    if name == "cold":
        for stale in args.workdir.glob("memory.sqlite3*"):
            stale.unlink()
    return engine(package, papers, args.beam, memory_file, settings)


def engine(package, papers, beam: int, memory_file: Path, settings: dict) -> dict:
    translator = engine_translator(package, beam, **settings)
    stats = TranslationStats()
    with TranslationMemory(memory_file) as memory:
        started = time.perf_counter()
        translate_papers(papers, translator, "en", "ja", memory=memory, stats=stats)
        seconds = time.perf_counter() - started
    return {"seconds": seconds, "sentences": stats.unique_sentences, "model_loaded": translator.loaded,
            "model_calls": stats.model_calls, "by_model": stats.by_model, "untranslated": stats.untranslated,
            "papers": len(papers)}


def raw(package, sentences: list[str], beam: int) -> dict:
    """The upper bound: pre-tokenized input, one asynchronous CTranslate2 call per
    decoding cap, nothing else."""
    import ctranslate2
    import sentencepiece

    from feedbridge.translate.ct2 import available_cores

    sp = sentencepiece.SentencePieceProcessor(model_file=str(package.sentencepiece_model))
    tokenized = [sp.encode(s, out_type=str) for s in sentences]
    decoding = Decoding(beam_size=beam, fixed_length=True)
    by_cap: dict[int, list[list[str]]] = {}
    for tokens in tokenized:
        by_cap.setdefault(decoding.cap(len(tokens)), []).append(tokens)
    model = ctranslate2.Translator(str(package.model_dir), device="cpu", compute_type="int8",
                                   inter_threads=available_cores(), intra_threads=1)
    started = time.perf_counter()
    pending = [
        model.translate_batch(group, beam_size=beam, max_decoding_length=cap, min_decoding_length=cap,
                              max_batch_size=RAW_BATCH_TOKENS, batch_type="tokens", asynchronous=True)
        for cap, group in by_cap.items()
    ]
    for results in pending:
        for result in results:
            result.result()
    return {"seconds": time.perf_counter() - started, "sentences": len(sentences)}


class CappedTranslator:
    """argos's CTranslate2 translator with the engine's cap forced on every sentence:
    each call's sentences are grouped by cap, in argos's own call pattern otherwise."""

    def __init__(self, model, decoding: Decoding):
        self.model = model
        self.decoding = decoding

    def translate_batch(self, tokenized, target_prefix=None, **options):
        results = [None] * len(tokenized)
        groups: dict[int, list[int]] = {}
        for i, tokens in enumerate(tokenized):
            groups.setdefault(self.decoding.cap(len(tokens)), []).append(i)
        for cap, group in groups.items():
            outputs = self.model.translate_batch(
                [tokenized[i] for i in group],
                target_prefix=[target_prefix[i] for i in group] if target_prefix else None,
                max_decoding_length=cap, min_decoding_length=cap, **options,
            )
            for i, output in zip(group, outputs):
                results[i] = output
        return results


class GivenSentences:
    """argos's sentence-splitter interface, answering with feedbridge's split of each text."""

    def __init__(self, texts: list[list[str]]):
        self.split = {" ".join(sentences): sentences for sentences in texts}

    def split_sentences(self, text: str) -> list[str]:
        return self.split[text]


def baseline(package, texts: list[list[str]], beam: int) -> dict:
    """argostranslate's per-text path with its own settings (one model worker using
    every core, batches of 32 tokens, beam 4 unless told otherwise)."""
    import ctranslate2
    from argostranslate import package as argos_package
    from argostranslate import settings
    from argostranslate.translate import apply_packaged_translation

    settings.beam_size = beam
    pkg = argos_package.Package(package.path)
    model = ctranslate2.Translator(str(package.model_dir), device=settings.device,
                                   inter_threads=settings.inter_threads, intra_threads=settings.intra_threads)
    translator = CappedTranslator(model, Decoding(beam_size=beam, fixed_length=True))
    splitter = GivenSentences(texts)
    started = time.perf_counter()
    for sentences in texts:
        apply_packaged_translation(pkg, " ".join(sentences), translator, splitter, num_hypotheses=1)
    return {"seconds": time.perf_counter() - started, "sentences": sum(len(t) for t in texts)}


# ---------------------------------------------------------------- the run


def prepare(args) -> dict:
    """Build and install the model, and record what the engine sends it."""
    import tiny_model
    from feedbridge.translate.packages import find_package, install_from_file

    os.environ["ARGOS_PACKAGES_DIR"] = str(args.workdir / "packages")
    package = find_package("en", "ja")
    if package is None:
        archive = args.workdir / "translate-en_ja-base.argosmodel"
        if not archive.exists():
            print(f"building the base-size random model into {archive} ...", file=sys.stderr)
            tiny_model.build_argosmodel(archive, tiny_model.fixture_corpus(), preset="base")
        package = install_from_file(archive)
    for stale in args.workdir.glob("memory-big.sqlite3*"):
        stale.unlink()

    recorder = RecordingTranslator(engine_translator(package, args.beam))
    texts = []
    for paper in bench_papers(args.papers):  # one text per paper, as argos would be called
        before = len(recorder.sent)
        translate_papers([paper], recorder, "en", "ja")
        texts.append(recorder.sent[before:])
    work = {"texts": [t for t in texts if t], "sentences": list(dict.fromkeys(s for t in texts for s in t))}
    (args.workdir / "work.json").write_text(json.dumps(work, ensure_ascii=False), encoding="utf-8")

    # The big warm run's memory holds one entry per sentence, as a cold run would leave it.
    with TranslationMemory(args.workdir / "memory-big.sqlite3") as memory:
        translate_papers(bench_papers(args.warm_papers), RecordingTranslator(recorder), "en", "ja", memory=memory)
    return work


def spawn(name: str, args, settings: dict | None = None) -> dict:
    command = [sys.executable, __file__, "--path", name, "--papers", str(args.papers),
               "--warm-papers", str(args.warm_papers), "--beam", str(args.beam), "--workdir", str(args.workdir)]
    if settings:
        command += ["--settings", json.dumps(settings)]
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    return json.loads(done.stdout.splitlines()[-1])


def source_tokens(sentences: list[str]) -> int:
    import sentencepiece

    from feedbridge.translate.packages import require_package

    sp = sentencepiece.SentencePieceProcessor(model_file=str(require_package("en", "ja").sentencepiece_model))
    return sum(len(sp.encode(s)) for s in sentences)


def report(args, work: dict, results: dict[str, dict]) -> None:
    tokens = source_tokens(work["sentences"])
    baseline_tokens = source_tokens([s for t in work["texts"] for s in t])
    labels = {
        "baseline": "argostranslate per text (baseline)",
        "cold": "feedbridge engine, cold",
        "raw": "raw CTranslate2 bound",
        "warm": "feedbridge re-run, warm memory",
        "warm-big": f"feedbridge warm, {args.warm_papers} papers",
    }
    print(f"\n{args.papers} papers, {len(work['sentences'])} sentences, {tokens} source tokens; "
          f"beam {args.beam}; every output decoded to the cap (2 x bucketed length + 10); "
          f"{os.cpu_count()} CPU cores\n")
    print("| path | papers | sentences | wall s | sentences/s | source tokens/s | peak RSS MB | model loaded |")
    print("|---|---:|---:|---:|---:|---:|---:|---|")
    for name, result in results.items():
        count = baseline_tokens if name == "baseline" else tokens
        if name == "warm-big":
            count = None
        rate = result["sentences"] / result["seconds"]
        token_rate = f"{count / result['seconds']:.0f}" if count else "-"
        loaded = {True: "yes", False: "no"}.get(result.get("model_loaded"), "yes")
        print(f"| {labels[name]} | {result.get('papers', args.papers)} | {result['sentences']} | "
              f"{result['seconds']:.2f} | {rate:.1f} | {token_rate} | {result['rss_mb']:.0f} | {loaded} |")
    base, cold, bound = (results[n]["sentences"] / results[n]["seconds"] for n in ("baseline", "cold", "raw"))
    print(f"\nengine cold / baseline: {cold / base:.1f}x;  engine cold / raw bound: {cold / bound:.0%}")
    print(f"warm re-run of {args.warm_papers} papers: {results['warm-big']['seconds']:.2f} s, "
          f"{results['warm-big']['model_calls']} model calls")


def sweep(args) -> None:
    """The engine cold under other settings, to choose the defaults (README, Performance)."""
    cores = os.cpu_count() or 1
    grid = [{"beam": b} for b in (1, 2, 4)]
    grid += [{"workers": 1, "threads": cores}, {"batch_tokens": 2048}, {"batch_tokens": 12288}]
    print("\n| setting | sentences/s | peak RSS MB |\n|---|---:|---:|")
    for setting in grid:
        beam = setting.pop("beam", args.beam)
        result = spawn("cold", argparse.Namespace(**{**vars(args), "beam": beam}), setting)
        label = ", ".join(f"{k}={v}" for k, v in {"beam": beam, **setting}.items())
        print(f"| {label} | {result['sentences'] / result['seconds']:.1f} | {result['rss_mb']:.0f} |", flush=True)


def peak_rss_mb() -> float:
    """This process's peak resident memory. Not getrusage's ru_maxrss: Linux carries
    that over from the parent through exec, VmHWM starts afresh."""
    status = Path("/proc/self/status").read_text()
    return int(status.split("VmHWM:")[1].split()[0]) / 1024


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--papers", type=int, default=32, help="papers in the cold comparison (default 32)")
    parser.add_argument("--warm-papers", type=int, default=1000, help="papers in the big warm run")
    parser.add_argument("--beam", type=int, default=Decoding().beam_size)
    parser.add_argument("--workdir", type=Path, default=WORKDIR)
    parser.add_argument("--repeat", type=int, default=2,
                        help="runs of each path but the (slow) baseline; the fastest counts (default 2)")
    parser.add_argument("--sweep", action="store_true", help="also time the engine under other settings")
    parser.add_argument("--path", choices=PATHS, help=argparse.SUPPRESS)  # run one path (a child process)
    parser.add_argument("--settings", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    args.workdir.mkdir(parents=True, exist_ok=True)
    os.environ["ARGOS_PACKAGES_DIR"] = str(args.workdir / "packages")

    if args.path:
        result = run_path(args.path, args)
        result["rss_mb"] = peak_rss_mb()
        print(json.dumps(result))
        return 0

    work = prepare(args)
    results = {}
    load = os.getloadavg()[0]
    for name in PATHS:  # "warm" after "cold": it re-runs on the memory the cold run filled
        print(f"timing: {name} ...", file=sys.stderr, flush=True)
        runs = [spawn(name, args) for _ in range(1 if name == "baseline" else args.repeat)]
        results[name] = min(runs, key=lambda r: r["seconds"])
    report(args, work, results)
    print(f"load average before and after (other processes slow every path): {load:.2f}, {os.getloadavg()[0]:.2f}")
    if args.sweep:
        sweep(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
