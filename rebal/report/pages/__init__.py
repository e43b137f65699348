"""One module per report: its declaration (``REPORT``), cards, tables, figures and scraps."""
