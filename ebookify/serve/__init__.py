"""`ebookify serve`: the collection shared from this computer, as a web page and an OPDS catalog.

library.py loads and typesets the stories once and makes one reader's copy as bytes; copies.py
makes copies on all cores and keeps the finished ones; guard.py keeps strangers and floods out;
app.py and opds.py answer the requests; run.py starts it all and prints where to go."""
