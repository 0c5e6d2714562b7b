"""Test helpers: slow, obviously-correct reference implementations for tests and benchmarks,
toy graphs, and the check of a family's folder against README's tree (:mod:`.layout`)."""
