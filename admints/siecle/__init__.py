"""Données SIECLE (R-DAT-1): parsing BEE exports and importing them in one checked plan.
"""
