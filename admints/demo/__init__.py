"""Demo establishments (R-DAT-2): a generated population, its SIECLE files, and the life given to
it. Not product code: only `admints demo`, the tests and the benchmarks use it.
"""
