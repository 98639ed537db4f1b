"""Article text → a draft case report, with a quote and character offsets behind every claim.

Pure Python and offline: a bundled gazetteer (`gazetteer.yaml`), region names (pycountry plus
`regions.yaml`), keyword rules (`harm_rules.yaml`, extendable) and rapidfuzz for typos. The
draft is marked unreviewed; every allegation in it stays `alleged`. Entry points:
`text.load_document` (read a file) and `draft.build_draft` (find and assemble the records).
"""
