"""Gestion des services (R-SRV-1..5): catalogue, activation and opening, Notes publication, online
payment.
"""
