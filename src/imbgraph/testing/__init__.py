"""Test helpers: slow, obviously-correct reference implementations for tests and benchmarks."""
