"""Shared plumbing every other room uses: cached stages and their locks (cache), processes and ranks (dist),
devices and threads (device), progress output (progress), the run manifest (manifest) and the one atomic-write
helper with the JSONL readers and writers (io).

May import: harness.config and the standard library/third-party utilities; nothing else from harness.
"""
