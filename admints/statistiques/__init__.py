"""Statistiques (R-STA-1..3): account summaries, visits of the téléservices, académie roll-up,
Plotly figures.
"""
