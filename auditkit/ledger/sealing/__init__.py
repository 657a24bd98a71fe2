"""Sealing personal content: the AEAD format (cipher), per-subject data keys and their storage.

The leaf commits to the sealed bytes, so erasure (destroying a data key) never changes a leaf.
"""
