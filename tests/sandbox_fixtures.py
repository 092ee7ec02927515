"""Fixtures that put a sandbox customer and a CloudAccount pointing at it in a test."""
