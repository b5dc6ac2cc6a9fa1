"""Accès des responsables / Accès des élèves (R-ACC-*, R-POR-1): account lifecycle, identifiers,
selection, notification, emails to families, class lists and CSV exports.
"""
