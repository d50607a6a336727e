"""The PostgreSQL store's schema: numbered migrations, and the check that a database holds the version this code
reads.

Every migration is applied once, in order, each in the transaction that records it in `rag_schema_migrations`
(PostgreSQL's DDL is transactional: a migration is there whole or not at all). A new, empty database gets them all
on the first `rag index --store URL`. A database that holds an older schema is refused until someone upgrades it on
purpose (`rag index ... --migrate`): servers of the older version may still be reading it. One that holds a newer
schema is refused until this rag is upgraded.

Tables (all prefixed `rag_` so that the index can share a database with other applications):

- `rag_state`: one row: embedder, dimension, chunk settings, tokenizer version, the generation (bumped by every
  commit: how servers notice new articles), and the passage count and total length (BM25 statistics).
- `rag_articles`: one row per article (`ArticleRecord`); `rag_passages`: one row per passage, with its vector
  (`embedding vector(dimension)`, added when the index is first built, with its HNSW index over the vectors as
  half-precision floats: `hnsw_index`, schema version 3), the source and date filters look at, and its BM25 length.
- `rag_terms` (term, document frequency) and `rag_postings` (term, passage, term frequency, passage length): BM25
  kept as tables, scored in SQL with the same formula and tokenizer (`rag.text.tokenize`) as the file store.
  Each posting also has an `impact` (`IMPACT`, computed by PostgreSQL from its term frequency and passage length
  alone, so that no later passage changes it) and the postings of a term are indexed in descending impact order
  (`rag_postings_impact`): a question reads the first postings of each of its words rather than all of them
  (`rag.store.postgres_index`, schema version 4).

The last four are one generation of the index. A first build or a rebuild (`rag index --rebuild`) writes a new
generation beside the live one, in tables named with `NEXT` (`generation_tables`), then switches to it in the same
transaction (`rag.store.postgres`): the live tables are dropped and the new ones take their names, with their
indexes, sequence and constraints, so a rebuilt database is the same as one migrated to this version. Readers never
see a half-built generation and are never refused: a question asked during the switch waits for it (milliseconds).
This needs no schema change (version 2 databases are rebuilt this way as they are).
"""

from __future__ import annotations

from dataclasses import dataclass

# -- vector search (issue 23 item 1) -------------------------------------------------------------------------------
HNSW_M = 24
HNSW_EF_CONSTRUCTION = 100
"""The HNSW graph's links per vector and build breadth, chosen with `python -m tools.store_scale` at 1M passages
derived from real embeddings (docs/deployment.md, "1M passages"): on the same 100 questions pgvector's defaults
(16, 64) find 0.939 of the exact top 10 at ef_search 200, these 0.956, for twice the build time and 4% more index."""


def hnsw_distance(column: str, dimension: int) -> str:
    """What the HNSW index orders by: the inner-product distance of `column` as half-precision floats (`halfvec`),
    so that the graph takes half the memory of one over the stored 32-bit vectors; the vectors stay 32-bit in the
    table, so scores and exact searches are unchanged. A query must say it the same way for PostgreSQL to use it.
    The query vector is a parameter of its own, `half`: PostgreSQL gives a parameter used twice the type of its
    first use, and the query's `%(vector)s::vector` elsewhere would then be rounded to half precision too.

    >>> hnsw_distance("p.embedding", 384)
    'p.embedding::halfvec(384) <#> %(half)s::halfvec(384)'
    """
    return f"{column}::halfvec({int(dimension)}) <#> %(half)s::halfvec({int(dimension)})"


def hnsw_index(table: str, dimension: int, m: int = HNSW_M, ef_construction: int = HNSW_EF_CONSTRUCTION) -> str:
    """The statement that builds the HNSW index of `table`'s vectors (named `{table}_embedding`), as `hnsw_distance`
    searches it (`m` and `ef_construction`: the benchmark tries others).

    >>> hnsw_index("rag_passages", 384)  # doctest: +NORMALIZE_WHITESPACE
    'CREATE INDEX rag_passages_embedding ON rag_passages USING hnsw ((embedding::halfvec(384)) halfvec_ip_ops)
     WITH (m = 24, ef_construction = 100)'
    """
    return (f"CREATE INDEX {table}_embedding ON {table} USING hnsw ((embedding::halfvec({int(dimension)})) "
            f"halfvec_ip_ops) WITH (m = {int(m)}, ef_construction = {int(ef_construction)})")


MAINTENANCE_MEMORY = (
    "SELECT set_config('maintenance_work_mem', greatest(pg_size_bytes(current_setting('maintenance_work_mem')) "
    "/ 1024, 262144)::bigint || 'kB', true)"
)
"""Index builds get at least 256 MB (PostgreSQL's default is 64 MB), or more if the server gives more, for the
transaction: an HNSW graph that outgrows it is built far more slowly (docs/deployment.md)."""


# -- BM25 (issue 23 item 2) ---------------------------------------------------------------------------------------
K1, B = 1.2, 0.75
"""BM25 parameters: the file store's (`rag.store.lexical.LexicalIndex`)."""


REFERENCE_LENGTH = 100
"""The passage length (in terms) at which a posting's `impact` normalises the term frequency: BM25's term part with
this fixed average length, so that the impact depends on the posting alone (an average over the collection would
change it with every passage added). Near the average of real collections (80 terms for a SQuAD paragraph with its
title, about 100 for the project's chunks), where the order it gives is BM25's own."""
IMPACT = f"(tf::float8 / (tf + {K1} * (1 - {B} + {B} * length::float8 / {REFERENCE_LENGTH})))::real"
"""A posting's impact (SQL, over its `tf` and `length`): BM25's term-frequency part at `REFERENCE_LENGTH`, what a
term's postings are ordered by. It orders them as BM25 does with the collection's own average length when that is
near `REFERENCE_LENGTH` (the order only picks which postings a bounded read takes first: every score returned is
computed afresh, with the collection's current statistics; `rag.store.postgres_index.lexical_statement`)."""


@dataclass(frozen=True)
class Migration:
    version: int
    description: str
    statements: tuple[str, ...]


MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        1,
        "articles, passages, BM25 terms and postings, state",
        (
            "CREATE EXTENSION IF NOT EXISTS vector",
            """CREATE TABLE rag_state (
            singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
            embedder text NOT NULL,
            dimension integer NOT NULL,
            settings jsonb NOT NULL,
            tokenizer_version integer NOT NULL,
            generation bigint NOT NULL DEFAULT 0,
            passages bigint NOT NULL DEFAULT 0,
            total_length bigint NOT NULL DEFAULT 0,
            saved_at timestamptz NOT NULL DEFAULT now())""",
            """CREATE TABLE rag_articles (
            id text PRIMARY KEY,
            hash text NOT NULL,
            record jsonb NOT NULL)""",
            """CREATE TABLE rag_passages (
            row_id bigserial PRIMARY KEY,
            article_id text NOT NULL REFERENCES rag_articles (id) ON DELETE CASCADE,
            source text NOT NULL,
            published text NOT NULL,
            length integer NOT NULL,
            passage jsonb NOT NULL)""",
            "CREATE TABLE rag_terms (term text PRIMARY KEY, df integer NOT NULL)",
            """CREATE TABLE rag_postings (
            term text NOT NULL,
            passage bigint NOT NULL REFERENCES rag_passages (row_id) ON DELETE CASCADE,
            tf integer NOT NULL,
            length integer NOT NULL,
            PRIMARY KEY (term, passage) INCLUDE (tf, length))""",
        ),
    ),
    Migration(
        2,
        "indexes for deletes by article and passage, and for source/date filters",
        (
            "CREATE INDEX rag_passages_article ON rag_passages (article_id)",
            "CREATE INDEX rag_passages_filter ON rag_passages (source, published)",
            "CREATE INDEX rag_postings_passage ON rag_postings (passage)",
        ),
    ),
    # -- vector search (issue 23 item 1) ----------------------------------------------------------------------------
    Migration(
        3,
        "the HNSW index over half-precision vectors (halfvec): half the memory, the same recall",
        (
            MAINTENANCE_MEMORY,
            # A built index holds a vector column and its HNSW index (a database never built has neither): the
            # index is built again over halfvec, in this transaction (minutes at a million passages).
            f"""DO $$
            DECLARE size integer;
            BEGIN
                IF to_regclass('rag_passages_embedding') IS NOT NULL THEN
                    SELECT dimension INTO size FROM rag_state;
                    DROP INDEX rag_passages_embedding;
                    EXECUTE replace('{hnsw_index("rag_passages", 0).replace("(0)", "(SIZE)")}', 'SIZE', size::text);
                END IF;
            END $$""",
        ),
    ),
    # -- BM25 (issue 23): impact-ordered postings -------------------------------------------------------------------
    Migration(
        4,
        "BM25 postings in impact order, so that a question reads the first postings of its words, not all",
        (
            f"ALTER TABLE rag_postings ADD COLUMN impact real GENERATED ALWAYS AS ({IMPACT}) STORED",
            "CREATE INDEX rag_postings_impact ON rag_postings (term, impact DESC) INCLUDE (passage, tf, length)",
        ),
    ),
    # -- end of BM25 (issue 23) ------------------------------------------------------------------------------------
)

SCHEMA_VERSION = MIGRATIONS[-1].version
"""The schema this code reads and writes."""

MIGRATIONS_TABLE = """CREATE TABLE IF NOT EXISTS rag_schema_migrations (
    version integer PRIMARY KEY,
    description text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now())"""


NEXT = "_next"
"""What the tables of a generation being built are named with, before the switch (`rag_passages_next`, ...)."""
GENERATION_TABLES = ("rag_articles", "rag_passages", "rag_postings", "rag_terms")
"""The tables of one generation of the index (`rag_state` and `rag_schema_migrations` stay)."""


def generation_tables(dimension: int, suffix: str = NEXT) -> tuple[str, ...]:
    """The statements that create an empty generation whose tables are named with `suffix`, with vectors of
    `dimension`: the tables and indexes of the migrations, but the vector column's HNSW index and the BM25 postings'
    constraints and indexes (`generation_indexes`), which are made once the passages are in: much faster than
    growing them row by row.

    >>> statements = generation_tables(384)
    >>> len(statements), statements[-1]
    (6, 'CREATE INDEX rag_passages_next_filter ON rag_passages_next (source, published)')
    """
    return (
        f"""CREATE TABLE rag_articles{suffix} (
        id text CONSTRAINT rag_articles{suffix}_pkey PRIMARY KEY,
        hash text NOT NULL,
        record jsonb NOT NULL)""",
        f"""CREATE TABLE rag_passages{suffix} (
        row_id bigserial CONSTRAINT rag_passages{suffix}_pkey PRIMARY KEY,
        article_id text NOT NULL CONSTRAINT rag_passages{suffix}_article_id_fkey
            REFERENCES rag_articles{suffix} (id) ON DELETE CASCADE,
        source text NOT NULL,
        published text NOT NULL,
        length integer NOT NULL,
        passage jsonb NOT NULL,
        embedding vector({int(dimension)}) NOT NULL)""",
        f"""CREATE TABLE rag_terms{suffix} (
        term text CONSTRAINT rag_terms{suffix}_pkey PRIMARY KEY,
        df integer NOT NULL)""",
        f"""CREATE TABLE rag_postings{suffix} (
        term text NOT NULL,
        passage bigint NOT NULL,
        tf integer NOT NULL,
        length integer NOT NULL,
        impact real GENERATED ALWAYS AS ({IMPACT}) STORED)""",
        f"CREATE INDEX rag_passages{suffix}_article ON rag_passages{suffix} (article_id)",
        f"CREATE INDEX rag_passages{suffix}_filter ON rag_passages{suffix} (source, published)",
    )


def generation_indexes(suffix: str = NEXT) -> tuple[str, ...]:
    """The BM25 postings' constraints and indexes of a generation, made after its passages are loaded (one sort
    each, and one check of the references, instead of an index insertion and a check per posting).

    >>> [statement.split()[2] for statement in generation_indexes()]
    ['rag_postings_next', 'rag_postings_next', 'rag_postings_next_passage', 'rag_postings_next_impact']
    """
    return (
        f"ALTER TABLE rag_postings{suffix} ADD CONSTRAINT rag_postings{suffix}_pkey PRIMARY KEY (term, passage) "
        "INCLUDE (tf, length)",
        f"ALTER TABLE rag_postings{suffix} ADD CONSTRAINT rag_postings{suffix}_passage_fkey FOREIGN KEY (passage) "
        f"REFERENCES rag_passages{suffix} (row_id) ON DELETE CASCADE",
        f"CREATE INDEX rag_postings{suffix}_passage ON rag_postings{suffix} (passage)",
        f"CREATE INDEX rag_postings{suffix}_impact ON rag_postings{suffix} (term, impact DESC) "
        "INCLUDE (passage, tf, length)",
    )


def pending(version: int) -> tuple[Migration, ...]:
    """The migrations a database at schema `version` still needs (0: a database without the schema).

    >>> [migration.version for migration in pending(1)], pending(SCHEMA_VERSION)
    ([2, 3, 4], ())
    """
    return tuple(migration for migration in MIGRATIONS if migration.version > version)
