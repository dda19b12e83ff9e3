"""feedbridge: arXiv category feeds, machine-translated offline, published as Atom."""

__version__ = "0.1.0"
