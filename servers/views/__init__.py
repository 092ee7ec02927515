"""The panel's views, thin: permissions -> form -> service or selector -> template or partial."""
