"""Paramétrage (R-PAR-1..6): versioned settings, the welcome message, ENT / contact / useful links.
"""
