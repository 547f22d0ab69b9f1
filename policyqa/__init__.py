"""Composition root and command line: builds the services from settings and starts channels."""
