"""The bottom layer: settings, database access, the local Neo4j, errors and system property names.

Everything else (ontology, ingest, export, api, the CLI) builds on this package; it imports none
of them.
"""
