"""Shared by the RDF tests: the partners' question asked in standard terms only, and an export
read into a string."""

from __future__ import annotations

import io

from neo4j import Driver

from core.settings import Settings
from export.options import ExportOptions
from export.stream import write_export

HIKVISION_QUERY = """
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX schema: <https://schema.org/>
PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX prov: <http://www.w3.org/ns/prov#>
SELECT DISTINCT ?allegation ?source ?name ?published WHERE {
  ?company rdfs:label "Hangzhou Hikvision Digital Technology Co., Ltd." .
  ?allegation a schema:Claim ;
      schema:about ?company ;
      prov:wasDerivedFrom ?source .
  ?source rdfs:label ?name .
  OPTIONAL { ?source dcterms:issued ?published }
}
ORDER BY ?allegation ?source
"""


def export(driver: Driver, settings: Settings, **options) -> str:
    out = io.StringIO()
    write_export(driver, ExportOptions(**options), out, settings.neo4j_database)
    return out.getvalue()
