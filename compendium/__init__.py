"""Tooling around the analysis that produces no result: the staged build
(:mod:`compendium.build`), the reproduction check (:mod:`compendium.verify`), the benchmark
harness (:mod:`compendium.bench`) and the build environment they share
(:mod:`compendium.buildenv`). Kept apart from :mod:`analysis`, whose code version every
document records: changing how the compendium is built does not change what it computes."""
