"""Baton: hands a chain of tickets to one coding-agent session and validates every step itself."""

__version__ = "0.1.0"
