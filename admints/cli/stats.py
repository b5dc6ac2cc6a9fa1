"""Commands of « stats » (filled by its issue)."""
