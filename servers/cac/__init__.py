"""The Cloud at Cost API v1: `client.CacClient`, typed results in `models`, failures in `errors`.

Only this package speaks HTTP to the provider (and only `client` imports requests).
"""
