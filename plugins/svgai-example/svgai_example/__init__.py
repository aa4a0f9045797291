"""svgai-example: the template for a third-party svgai plugin (see ``plugin.py``)."""
