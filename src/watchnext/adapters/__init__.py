"""Concrete implementations of the ports in `watchnext.service.ports` (AWS, local), and the
HTTP adapter that drives the service layer."""
