"""Commands of « siecle » (filled by its issue)."""
