"""Transport: the default HTTP client. The only place that imports ``requests``."""
