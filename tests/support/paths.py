"""Where the test data lies: every fixture is a file in this repository, named here once."""

from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]
REPO = TESTS.parent

# Real arXiv captures (tests/fixtures/arxiv/README.md says where each came from).
FIXTURES = TESTS / "fixtures" / "arxiv"
QUANT_PH = FIXTURES / "arxiv_rss2_quant-ph_2025-04-28.xml"
EMPTY_PHYSICS = FIXTURES / "arxiv_rss2_physics_2025-12-31_EMPTY_holiday_index-excerpt.xml"
LEGACY_HEP_EX = FIXTURES / "arxiv_legacy_rss1.0_rdf_hep-ex_2018-05-23_trimmed3items.xml"
API_SEARCH = FIXTURES / "arxiv_api_atom_2026_search_all_testing_100entries.xml"
API_ZERO = FIXTURES / "arxiv_api_atom_2026_zero_results_id_0000.0000.xml"
API_ERROR = FIXTURES / "arxiv_api_atom_2026_error_http400_id_abc.xml"

# RFC 4287's RELAX NG grammar for Atom (Appendix B).
ATOM_RNG = TESTS / "fixtures" / "schemas" / "atom.rng"

# A small real CTranslate2 model (Arabic -> English transliteration).
TRANSLITERATION_MODEL = TESTS / "data" / "aren-transliteration"

# The trained toy MarianMT (tools/toy_model.py): copies English, relabelled, so its output
# is real model output that tests can predict.
TOY_MODEL = TESTS / "data" / "toy-en-ja"
TOY = "toy-en-ja"  # the name tests register it under, for en->ja
