"""Commands of « accounts » (filled by its issue)."""
