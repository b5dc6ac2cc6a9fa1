"""The académie administrator's domain: establishments (UAI, creation, editing) and staff users.
"""
