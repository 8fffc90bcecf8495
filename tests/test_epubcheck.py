"""EPUBCheck 5, zero errors and zero warnings, on every representative book (tests/books.py):
each kind of book the suite builds, checked once a session."""

from __future__ import annotations

import pytest
from books import REPRESENTATIVE


@pytest.mark.parametrize("label", sorted(REPRESENTATIVE))
def test_representative_book_passes_epubcheck(validated_books, label):
    validated_books.assert_valid(label)
