"""Thin entrypoints (Lambda handlers, CLI) over the service layer."""
