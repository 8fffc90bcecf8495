"""ebookify: reader-insert fan fiction -> one personalised EPUB collection."""

__version__ = "0.1.0"
