"""Notification letters (R-ACC-3/5/9, R-PAR-4): standard wording, `${placeholder}` substitution,
page layout, the PDF writer and the editor of an establishment's texts.
"""
