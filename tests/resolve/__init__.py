"""Helpers for tests/test_resolve.py: tiny real wheels and a loopback package index."""
