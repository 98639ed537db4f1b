"""The graph out, for partners and backups: one reader, one stream of records, one writer each.

- `reader.py`: `ExportOptions`, `Visibility` (sharing levels, scope, dates: one Cypher predicate)
  and `GraphReader`, which pages nodes out of Neo4j and turns each into a record
  (`node_record`).
- `mapping.py`: what the export reads from the ontology once (relationship directions,
  alignments, the report property) and the shapes a record travels in (`ExportedNode`).
- `rdf.py`: a record as triples with its alignments, RDF term syntax, the RDF writers' base.
- `ntriples.py`, `turtle.py`, `jsonld.py`, `ftm.py`: one writer per format.
- `formats.py`: the one table of formats, which `--help`, the API and every error message show.
- `stream.py`: reader → writer → text (`write_export`, `export_stream`, `open_output`).

This package sits above `core/`, `ontology/` and `ingest/` and below `api/` and `rightsgraph/`.
"""
