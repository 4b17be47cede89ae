"""Concrete implementations of the interfaces in `watchnext.ports`."""
