"""Commands of « demo » (filled by its issue)."""
