"""RightsGraph: companies, owners, contracts and human-rights allegations, with evidence."""

__version__ = "0.1.0"
