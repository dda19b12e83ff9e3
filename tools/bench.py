"""make bench: feedbridge's translation engine against argostranslate's per-text path
and against raw CTranslate2, on an Argos package and on a converted MarianMT model.

A script, not a timed test. It builds (once, into .cache/bench/, not committed) two
random-weight models: one with the shape of argos's en->ja package (Transformer-base,
6+6 layers, d_model 512, 8 heads, FFN 2048, shared 32k SentencePiece vocabulary, int8),
installed through argos, and a MarianMT model of the same size as
ct2-transformers-converter leaves one trained with two vocabularies (post-norm, SiLU,
separate 32k source and target SentencePiece vocabularies, int8), added with
``feedbridge.translate.marian.add_model`` as ``feedbridge models add`` does. It takes
the real abstracts of the arXiv fixtures and measures, in one run, on the same
sentences with the same model, beam and decoding cap:

1. argostranslate's own per-text path (``apply_packaged_translation`` with its own
   settings), given feedbridge's sentence splitter so that it runs offline;
2. feedbridge's engine, cold (empty translation memory);
3. raw CTranslate2: the pre-tokenized sentences, one asynchronous call per decoding cap;
4. feedbridge's engine again, the memory warm;
5. feedbridge warm on a bigger run (default 1,000 papers), the memory pre-filled;
6. feedbridge's engine, cold, on the MarianMT model, through its registered model's
   backend (``MarianModel.backend``) exactly as a build gets it;
7. raw CTranslate2 on the MarianMT model: its pre-tokenized sentences (``source.spm``
   pieces and ``</s>``, as the backend gives them), as in 3;

each in its own process, reporting wall time, sentences/s, source tokens/s and peak RSS.
Other processes on the machine slow whichever path they meet: every path but the
baseline (minutes long, so it averages them out) is run twice, in rounds (2 to 7, then
2 to 7 again), so that an engine and its bound meet the same load, and the faster run
counts.

Random weights rarely emit end-of-sentence, so every path decodes exactly the cap
(``min_decoding_length = max_decoding_length``, the engine's rule: 2 x the bucketed
source length + 10): equal output lengths, a fair ratio. For the same reason the
engine's second chances are off (``retry=False``: no retry pass, no translation in
fragments): random weights lose every placeholder, a trained model few. All paths get
the protected sentences the engine sends their model (math and URLs as placeholders),
so they do the same model work.

    python tools/bench.py [--papers 32] [--warm-papers 1000] [--beam 4] [--repeat 2] [--sweep]

docs/performance.md has the method and the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
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
PATHS = ("baseline", "cold", "raw", "warm", "warm-big", "marian-cold", "marian-raw")
MARIAN_NAME = "bench-marian-base"  # the model's name in the bench's models folder
MARIAN_EOS = "</s>"  # appended to a Marian model's source pieces (feedbridge.translate.marian)
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

    def __init__(self, real):  # an ArgosBackend or a MarianBackend
        self.provenance = real.provenance
        self.decoding = real.decoding
        self.count_tokens = real.count_tokens
        self.sent: list[str] = []

    def translate_batch(self, sentences, *, retry=False, progress=None):
        self.sent += sentences
        return [[s] for s in sentences]


def engine_translator(package, beam: int, **settings) -> ArgosBackend:
    return ArgosBackend(package, beam_size=beam, device="cpu", retry=False, fixed_length=True, **settings)


def marian_translator(beam: int):
    """The registered model's backend, as a build's plan gets it (its files checked)."""
    from feedbridge.translate.marian import find_model

    return find_model(MARIAN_NAME).backend("en", "ja", offline=True, log=lambda line: None, beam_size=beam,
                                           device="cpu", retry=False, fixed_length=True)


def argos_encoder(package):
    """How ArgosBackend tokenizes for the model: SentencePiece pieces."""
    import sentencepiece

    sp = sentencepiece.SentencePieceProcessor(model_file=str(package.sentencepiece_model))
    return lambda text: sp.encode(text, out_type=str)


def marian_encoder(folder: Path):
    """How MarianBackend tokenizes for the model: source.spm pieces, then ``</s>``."""
    import sentencepiece

    sp = sentencepiece.SentencePieceProcessor(model_file=str(folder / "source.spm"))
    return lambda text: sp.encode(text, out_type=str) + [MARIAN_EOS]


# ---------------------------------------------------------------- the paths (one per process)


def run_path(name: str, args) -> dict:
    from feedbridge.translate.packages import require_package

    work = json.loads((args.run_dir / "work.json").read_text(encoding="utf-8"))
    if name.startswith("marian-"):
        translator = marian_translator(args.beam)
        if name == "marian-raw":
            folder = translator.model.path
            return raw(folder, marian_encoder(folder), work["marian_sentences"], args.beam)
        return engine(translator, bench_papers(args.papers), fresh(args.run_dir / "memory-marian.sqlite3"))
    package = require_package("en", "ja")
    if name == "baseline":
        return baseline(package, work["texts"], args.beam)
    if name == "raw":
        return raw(package.model_dir, argos_encoder(package), work["sentences"], args.beam)
    papers = bench_papers(args.warm_papers if name == "warm-big" else args.papers)
    settings = json.loads(args.settings) if args.settings else {}
    memory_file = args.run_dir / ("memory-big.sqlite3" if name == "warm-big" else "memory.sqlite3")
    if name == "cold":
        fresh(memory_file)
    return engine(engine_translator(package, args.beam, **settings), papers, memory_file)


def fresh(memory_file: Path) -> Path:
    """The memory file, emptied: a cold run starts from nothing."""
    for stale in memory_file.parent.glob(f"{memory_file.name}*"):
        stale.unlink()
    return memory_file


class Timer:
    """Wall and CPU seconds of what it encloses; CPU counts every thread of this process,
    so it measures the work done whatever other processes take from the cores."""

    def __enter__(self) -> Timer:
        self.wall, self.cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc) -> None:
        self.wall, self.cpu = time.perf_counter() - self.wall, time.process_time() - self.cpu

    def result(self, **fields) -> dict:
        return {"seconds": self.wall, "cpu": self.cpu, **fields}


def engine(translator, papers, memory_file: Path) -> dict:
    stats = TranslationStats()
    with TranslationMemory(memory_file) as memory, Timer() as timer:
        translate_papers(papers, translator, "en", "ja", memory=memory, stats=stats)
    return timer.result(sentences=stats.unique_sentences, model_loaded=translator.loaded, model_calls=stats.model_calls,
                        by_model=stats.by_model, untranslated=stats.untranslated, papers=len(papers))


def raw(model_dir: Path, encode, sentences: list[str], beam: int) -> dict:
    """The upper bound: input pre-tokenized as the backend would (``encode``), one
    asynchronous CTranslate2 call per decoding cap, nothing else timed."""
    import ctranslate2

    from feedbridge.translate.ct2 import available_cores

    tokenized = [encode(s) for s in sentences]
    decoding = Decoding(beam_size=beam, fixed_length=True)
    by_cap: dict[int, list[list[str]]] = {}
    for tokens in tokenized:
        by_cap.setdefault(decoding.cap(len(tokens)), []).append(tokens)
    model = ctranslate2.Translator(str(model_dir), device="cpu", compute_type="int8",
                                   inter_threads=available_cores(), intra_threads=1)
    with Timer() as timer:
        pending = [
            model.translate_batch(group, beam_size=beam, max_decoding_length=cap, min_decoding_length=cap,
                                  max_batch_size=RAW_BATCH_TOKENS, batch_type="tokens", asynchronous=True)
            for cap, group in by_cap.items()
        ]
        for results in pending:
            for result in results:
                result.result()
    return timer.result(sentences=len(sentences))


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
    with Timer() as timer:
        for sentences in texts:
            apply_packaged_translation(pkg, " ".join(sentences), translator, splitter, num_hypotheses=1)
    return timer.result(sentences=sum(len(t) for t in texts))


# ---------------------------------------------------------------- the run


def prepare(args) -> dict:
    """Build and install the models, and record what the engine sends each."""
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

    prepare_marian(args, tiny_model)

    recorder = RecordingTranslator(engine_translator(package, args.beam))
    texts = []
    for paper in bench_papers(args.papers):  # one text per paper, as argos would be called
        before = len(recorder.sent)
        translate_papers([paper], recorder, "en", "ja")
        texts.append(recorder.sent[before:])
    # The Marian model's own tokens decide which over-long sentences are cut.
    marian_recorder = RecordingTranslator(marian_translator(args.beam))
    translate_papers(bench_papers(args.papers), marian_recorder, "en", "ja")
    work = {"texts": [t for t in texts if t], "sentences": list(dict.fromkeys(s for t in texts for s in t)),
            "marian_sentences": list(dict.fromkeys(marian_recorder.sent))}
    (args.run_dir / "work.json").write_text(json.dumps(work, ensure_ascii=False), encoding="utf-8")

    # The big warm run's memory holds one entry per sentence, as a cold run would leave it.
    with TranslationMemory(args.run_dir / "memory-big.sqlite3") as memory:
        translate_papers(bench_papers(args.warm_papers), RecordingTranslator(recorder), "en", "ja", memory=memory)
    return work


def prepare_marian(args, tiny_model) -> None:
    """Build the base-size Marian folder (once) and add it to the bench's models folder
    as ``feedbridge models add`` does: copied, probed, recorded."""
    from feedbridge.translate.marian import add_model, find_model

    if find_model(MARIAN_NAME) is not None:
        return
    folder = args.workdir / "marian-en-ja-base"
    if not folder.exists():
        print(f"building the base-size random MarianMT model into {folder} ...", file=sys.stderr)
        corpus = tiny_model.fixture_corpus()
        tiny_model.build_separate_marian_folder(folder, corpus, tiny_model.kana_corpus(corpus), preset="base")
    add_model(folder, name=MARIAN_NAME, source="en", target="ja", licence="random weights (test data)")


def spawn(name: str, args, settings: dict | None = None) -> dict:
    command = [sys.executable, __file__, "--path", name, "--papers", str(args.papers),
               "--warm-papers", str(args.warm_papers), "--beam", str(args.beam), "--workdir", str(args.workdir),
               "--run-dir", str(args.run_dir)]
    if settings:
        command += ["--settings", json.dumps(settings)]
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    return json.loads(done.stdout.splitlines()[-1])


def source_tokens(sentences: list[str], encode=None) -> int:
    """Tokens the model is given for the sentences (by default the Argos package's)."""
    from feedbridge.translate.packages import require_package

    encode = encode or argos_encoder(require_package("en", "ja"))
    return sum(len(encode(s)) for s in sentences)


def report(args, work: dict, results: dict[str, dict], runs: dict[str, list[float]]) -> None:
    from feedbridge.translate.marian import find_model

    tokens = source_tokens(work["sentences"])
    baseline_tokens = source_tokens([s for t in work["texts"] for s in t])
    marian_tokens = source_tokens(work["marian_sentences"], marian_encoder(find_model(MARIAN_NAME).path))
    counts = {"baseline": baseline_tokens, "cold": tokens, "raw": tokens, "warm": tokens,
              "marian-cold": marian_tokens, "marian-raw": marian_tokens}
    labels = {
        "baseline": "argostranslate per text (baseline)",
        "cold": "feedbridge engine, cold",
        "raw": "raw CTranslate2 bound",
        "warm": "feedbridge re-run, warm memory",
        "warm-big": f"feedbridge warm, {args.warm_papers} papers",
        "marian-cold": "MarianMT: feedbridge engine, cold",
        "marian-raw": "MarianMT: raw CTranslate2 bound",
    }
    print(f"\n{args.papers} papers; Argos model: {len(work['sentences'])} sentences, {tokens} source tokens; "
          f"MarianMT model: {len(work['marian_sentences'])} sentences, {marian_tokens} source tokens; "
          f"beam {args.beam}; every output decoded to the cap (2 x bucketed length + 10); "
          f"{os.cpu_count()} CPU cores\n")
    print("| path | papers | sentences | wall s | sentences/s | source tokens/s | peak RSS MB | model loaded "
          "| every run, s |")
    print("|---|---:|---:|---:|---:|---:|---:|---|---|")
    for name, result in results.items():
        count = counts.get(name)
        rate = result["sentences"] / result["seconds"]
        token_rate = f"{count / result['seconds']:.0f}" if count else "-"
        loaded = {True: "yes", False: "no"}.get(result.get("model_loaded"), "yes")
        every = ", ".join(f"{seconds:.2f}" for seconds in runs[name])
        print(f"| {labels[name]} | {result.get('papers', args.papers)} | {result['sentences']} | "
              f"{result['seconds']:.2f} | {rate:.1f} | {token_rate} | {result['rss_mb']:.0f} | {loaded} "
              f"| {every} |")

    def rate(name: str) -> float:
        return results[name]["sentences"] / results[name]["seconds"]

    def rounds(engine: str, bound: str) -> str:  # same sentences, so a time ratio is a rate ratio
        return ", ".join(f"{b / e:.0%}" for e, b in zip(runs[engine], runs[bound]))

    print(f"\nengine cold / baseline: {rate('cold') / rate('baseline'):.1f}x;  "
          f"engine cold / raw bound: {rate('cold') / rate('raw'):.0%} (round by round: {rounds('cold', 'raw')})")
    marian = results["marian-cold"]
    print(f"MarianMT engine cold / raw bound: {rate('marian-cold') / rate('marian-raw'):.0%} "
          f"(round by round: {rounds('marian-cold', 'marian-raw')}; {marian['model_calls']} model call(s), "
          f"{marian['by_model']} sentences to the model, {marian['untranslated']} kept untranslated: "
          "random weights lose placeholders)")
    print(f"warm re-run of {args.warm_papers} papers: {results['warm-big']['seconds']:.2f} s, "
          f"{results['warm-big']['model_calls']} model calls")


def sweep(args) -> None:
    """The engine cold under other settings, to choose the defaults (docs/performance.md)."""
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
    parser = argparse.ArgumentParser(description=" ".join(__doc__.split("\n\n")[0].split()))
    parser.add_argument("--papers", type=int, default=32, help="papers in the cold comparison (default 32)")
    parser.add_argument("--warm-papers", type=int, default=1000, help="papers in the big warm run")
    parser.add_argument("--beam", type=int, default=Decoding().beam_size)
    parser.add_argument("--workdir", type=Path, default=WORKDIR)
    parser.add_argument("--repeat", type=int, default=2,
                        help="runs of each path but the (slow) baseline; the fastest counts (default 2)")
    parser.add_argument("--sweep", action="store_true", help="also time the engine under other settings")
    parser.add_argument("--path", choices=PATHS, help=argparse.SUPPRESS)  # run one path (a child process)
    parser.add_argument("--settings", help=argparse.SUPPRESS)
    parser.add_argument("--run-dir", type=Path, help=argparse.SUPPRESS)  # this run's own files
    args = parser.parse_args(argv)
    args.workdir.mkdir(parents=True, exist_ok=True)
    os.environ["ARGOS_PACKAGES_DIR"] = str(args.workdir / "packages")
    os.environ["FEEDBRIDGE_MODELS_DIR"] = str(args.workdir / "models")

    if args.path:
        result = run_path(args.path, args)
        result["rss_mb"] = peak_rss_mb()
        print(json.dumps(result))
        return 0

    # This run's work list and memories, apart from any other bench using the workdir;
    # the models there are built once and shared.
    args.run_dir = Path(tempfile.mkdtemp(dir=args.workdir, prefix="run-"))
    try:
        measure(args)
        if args.sweep:
            sweep(args)
    finally:
        shutil.rmtree(args.run_dir, ignore_errors=True)
    return 0


def measure(args) -> None:
    started = time.perf_counter()
    work = prepare(args)
    runs: dict[str, list[dict]] = {name: [] for name in PATHS}
    load = os.getloadavg()[0]
    for round_ in range(max(args.repeat, 1)):  # in rounds: an engine and its bound run side by side
        for name in PATHS:  # "warm" after "cold": it re-runs on the memory the cold run filled
            if name == "baseline" and round_:
                continue
            print(f"timing: {name} ({round_ + 1}) ...", file=sys.stderr, flush=True)
            runs[name].append(spawn(name, args))
    results = {name: min(done, key=lambda r: r["seconds"]) for name, done in runs.items()}
    report(args, work, results, {name: [r["seconds"] for r in done] for name, done in runs.items()})
    print(f"load average before and after (other processes slow every path): {load:.2f}, {os.getloadavg()[0]:.2f}")
    print(f"the bench took {time.perf_counter() - started:.0f} s (models built, every path timed)")


if __name__ == "__main__":
    sys.exit(main())
