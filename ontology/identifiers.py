"""Kept for imports written before `ontology.types.identifiers`: the same names, from there."""

from ontology.types.identifiers import (  # noqa: F401
    RGFN,
    checked_isin,
    checked_lei,
    checked_qid,
    isin_check_digit,
    lei_check_digits,
    register_sparql_functions,
    valid_isin,
    valid_lei,
    valid_qid,
)
