"""tap-kustomer: a Singer tap for the Kustomer API."""
__version__ = "2.0.0"
