"""Ingesting articles: reading files and feeds, chunking them, and building the index from them.

Import from the modules themselves (this package re-exports nothing):

- `files`: finding article files under the sources and reading each by its suffix (the entry points);
- `decode`: bytes to text (byte order marks, encodings, binary data);
- `metadata`: titles, dates, URLs and extra fields, shared by every reader;
- `source`: one file being read and the names it goes by;
- `markdown`, `html`, `pdf`, `feeds`: the readers of each format;
- `library_logs`: the log messages of the readers' libraries, kept at ERROR;
- `chunk`: articles to passages;
- `indexer`: updating the index incrementally and crash-safely (`update_index`);
- `uploads`: uploaded files, stored safely and indexed (`add_files`);
- `lazy_embedder`: an embedder that loads its model only when something needs embedding;
- `progress`: progress bars and callbacks of an indexing run.
"""
